package intake

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/winnow/winnow/internal/comment"
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
// here (Akismet checks sign-ups and contact forms, with no text or no email); text
// over winnow's limits is refused naming its field, and a user agent is cut.
func (s *Service) Check(ctx context.Context, site site.Site, sub comment.Submission, meta Meta) (comment.Verdict, error) {
	sub.Normalize()
	meta.UserAgent = comment.Truncate(strings.ToValidUTF8(meta.UserAgent, ""), comment.MaxUserAgentLen)
	if err := checkLengths(sub); err != nil {
		return comment.Verdict{}, err
	}
	authorKey := comment.AuthorKey(s.secret, sub.AuthorName, sub.AuthorEmail)
	text := spam.Read(sub.Body)
	sets := s.campaignSets(site.ID, sub, text, authorKey)
	err := concurrently(ctx, len(sets), func(ctx context.Context, i int) error { return sets[i].peek(ctx, s.counters.Distinct) })
	if err == nil {
		err = concurrently(ctx, len(sets), func(ctx context.Context, i int) error { return sets[i].add(ctx, s.counters.Distinct) })
	}
	if err != nil {
		return comment.Verdict{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	j, err := s.judge(ctx, site, sub, authorKey, meta, submitted{campaign: campaignOf(sets), text: text, check: true}, nil, now)
	if err != nil {
		return comment.Verdict{}, err
	}
	return j.verdict, nil
}

// checkLengths refuses a checked comment's text over the limits of a submission
// (named by the submission's fields), which bound what the renderer and the scorer are made to read.
func checkLengths(sub comment.Submission) error {
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"author_name", sub.AuthorName, comment.MaxNameLen},
		{"author_email", sub.AuthorEmail, comment.MaxEmailLen},
		{"author_url", sub.AuthorURL, comment.MaxURLLen},
		{"thread_url", sub.ThreadURL, comment.MaxURLLen},
		{"thread", sub.Thread, comment.MaxThreadKeyLen},
		{"body", sub.Body, comment.MaxBodyLen},
	} {
		if !utf8.ValidString(f.value) {
			return comment.Invalid(f.name, "must be UTF-8 text")
		}
		if utf8.RuneCountInString(f.value) > f.max {
			return comment.Invalid(f.name, fmt.Sprintf("at most %d characters", f.max))
		}
	}
	return nil
}
