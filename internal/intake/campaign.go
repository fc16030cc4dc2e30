package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/spam"
)

// campaign counts how many distinct authors and threads posted this text lately,
// with the rate limiter as a shared sliding counter, so replicas on one Redis see one
// campaign and nothing is stored: each (text, author) pair is counted once per
// window, and the text's counter, which allows CampaignSize in the window, is spent
// exactly when that many distinct authors have posted it.
func (s *Service) campaign(ctx context.Context, siteID string, sub comment.Submission, text *spam.Text, authorKey string) (spam.Campaign, error) {
	var c spam.Campaign
	fp := text.Fingerprint()
	if s.limiter == nil || fp == "" {
		return c, nil
	}
	thread := sha256.Sum256([]byte(sub.Thread))
	var err error
	prefix := "campaign:" + siteID + ":" + fp
	if c.Authors, err = s.distinct(ctx, prefix+":authors", authorKey); err != nil {
		return c, err
	}
	if c.Threads, err = s.distinct(ctx, prefix+":threads", hex.EncodeToString(thread[:12])); err != nil {
		return c, err
	}
	return c, nil
}

// distinct counts member once in set within the campaign window and returns about how
// many distinct members the set has seen, saturating at CampaignSize.
func (s *Service) distinct(ctx context.Context, set, member string) (int, error) {
	once := comment.Rate{Count: 1, Period: spam.CampaignWindow, Burst: 1}
	counter := comment.Rate{Count: spam.CampaignSize, Period: spam.CampaignWindow, Burst: spam.CampaignSize}
	first, err := s.limiter.AllowN(ctx, set+":"+member, once, 1)
	if err != nil {
		return 0, fmt.Errorf("intake: campaign: %w", err)
	}
	n := 0
	if first.Allowed {
		n = 1 // a new member: count it
	}
	res, err := s.limiter.AllowN(ctx, set, counter, n)
	if err != nil {
		return 0, fmt.Errorf("intake: campaign: %w", err)
	}
	if !res.Allowed {
		return spam.CampaignSize, nil
	}
	return spam.CampaignSize - res.Remaining, nil
}
