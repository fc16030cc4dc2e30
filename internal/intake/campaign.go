package intake

import (
	"context"
	"fmt"

	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/spam"
)

// campaignSets names the two distinct counts a text keeps: the authors who posted it
// and the threads it was posted on (threadKey, the thread's), each within
// spam.CampaignWindow. Nothing is stored: the counts live in the distinct counter
// (shared through Redis, so replicas on one Redis see one campaign). nil when there is
// nothing to count.
func (s *Service) campaignSets(siteID, threadKey string, text *spam.Text, authorKey string) []ratelimit.Member {
	if s.counters.Distinct == nil {
		return nil
	}
	fp := text.Fingerprint()
	if fp == "" {
		return nil
	}
	authors := "campaign:" + siteID + ":" + fp + ":authors"
	return []ratelimit.Member{
		{Set: authors, Member: authorKey},
		{Set: authors[:len(authors)-len("authors")] + "threads", Member: threadKey},
	}
}

// peekCampaign reads the campaign counts of sets, counting nothing.
func peekCampaign(ctx context.Context, c DistinctCounter, sets []ratelimit.Member) ([]ratelimit.Tally, error) {
	t, err := c.Peek(ctx, sets, spam.CampaignWindow, spam.CampaignSize)
	if err != nil {
		return nil, fmt.Errorf("intake: campaign: %w", err)
	}
	return t, nil
}

// addCampaign counts sets as their peek found them (tallies).
func addCampaign(ctx context.Context, c DistinctCounter, sets []ratelimit.Member, tallies []ratelimit.Tally) error {
	if err := c.Add(ctx, sets, tallies, spam.CampaignWindow, spam.CampaignSize); err != nil {
		return fmt.Errorf("intake: campaign: %w", err)
	}
	return nil
}

// campaignOf is what the sets' peek found (tallies, the authors' then the threads'),
// this text included.
func campaignOf(tallies []ratelimit.Tally) spam.Campaign {
	if len(tallies) != 2 {
		return spam.Campaign{}
	}
	return spam.Campaign{Authors: tallies[0].N, Threads: tallies[1].N}
}
