package intake

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/ratelimit"
	"github.com/winnow/winnow/internal/site"
	"github.com/winnow/winnow/internal/spam"
)

// Check judges a comment that another system holds (an Akismet client's
// comment-check) with the site's scorer, through the one judging step a submission
// takes (judge), and stores nothing about it: no comment, no author or address
// record, no limit counted; what the site knows of the author, the address and its
// bans is read, not written. Only the campaign counts of its text move (keyed hashes
// in the distinct counter), so that a campaign seen through the API counts on the
// site's own form too, and the other way round.
//
// The other system accepted the comment by its own rules, so nothing is required
// and nothing is refused (Akismet checks sign-ups and contact forms, with no text or
// no email, and WordPress takes comments six times longer than winnow): what is read
// is Foreign's part of it.
func (s *Service) Check(ctx context.Context, site site.Site, sub comment.Submission, meta Meta) (comment.Verdict, error) {
	sub = Foreign(sub)
	meta.UserAgent = comment.Truncate(strings.ToValidUTF8(meta.UserAgent, ""), comment.MaxUserAgentLen)
	keys := comment.SubmissionKeys(s.secret, s.v6bits, sub.AuthorName, sub.AuthorEmail, sub.AuthorURL, meta.IP)
	text := spam.Read(sub.Body)
	sets := s.campaignSets(site.ID, threadKey(sub.Thread), text, keys.Author)
	var tallies []ratelimit.Tally
	if len(sets) > 0 {
		var err error
		if tallies, err = peekCampaign(ctx, s.counters.Distinct, sets); err == nil {
			err = addCampaign(ctx, s.counters.Distinct, sets, tallies)
		}
		if err != nil {
			return comment.Verdict{}, err
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	record, err := s.record(ctx, site.ID, sub, keys, Meta{IP: meta.IP}, now)
	if err != nil {
		return comment.Verdict{}, err
	}
	j, err := s.judge(site, sub, meta, submitted{campaign: campaignOf(tallies), text: text, check: true}, record)
	if err != nil {
		return comment.Verdict{}, err
	}
	return j.verdict, nil
}

// Foreign is the part of another system's comment that winnow reads, to judge it or
// to learn from it: normalized as a submission is, invalid UTF-8 dropped, and each
// field cut at a submission's limit, which bounds what the renderer and the scorer
// are made to read. It refuses nothing: that system took the comment by its rules.
func Foreign(sub comment.Submission) comment.Submission {
	for _, f := range []*string{&sub.Thread, &sub.ThreadURL, &sub.AuthorName, &sub.AuthorEmail, &sub.AuthorURL, &sub.Body, &sub.Honeypot} {
		*f = strings.ToValidUTF8(*f, "")
	}
	sub.Normalize()
	for _, f := range []struct {
		value *string
		max   int
	}{
		{&sub.Thread, comment.MaxThreadKeyLen}, {&sub.ThreadURL, comment.MaxURLLen}, {&sub.AuthorName, comment.MaxNameLen},
		{&sub.AuthorEmail, comment.MaxEmailLen}, {&sub.AuthorURL, comment.MaxURLLen}, {&sub.Body, comment.MaxBodyLen},
		{&sub.Honeypot, comment.MaxURLLen},
	} {
		if utf8.RuneCountInString(*f.value) > f.max {
			*f.value = string([]rune(*f.value)[:f.max])
		}
	}
	return sub
}
