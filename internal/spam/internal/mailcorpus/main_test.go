package main

import (
	"strings"
	"testing"
)

// TestBodyKeepsOnlyWhatTheSenderWrote checks the cleaning on messages written for
// it: headers, quoted replies, signatures and markup go; link addresses stay.
func TestBodyKeepsOnlyWhatTheSenderWrote(t *testing.T) {
	plain := "From someone@example.org  Mon Aug  5 10:00:00 2002\n" +
		"From: A <a@example.org>\nDate: Mon, 05 Aug 2002 10:00:00 +0100\nSubject: Re: x\n\n" +
		"On Sunday, Bob wrote:\n> quoted line\n> more quoted\nI agree with   that.\nSee you.\n-- \nAlice, signature\n"
	date, text := body([]byte(plain))
	if text != "I agree with that. See you." {
		t.Errorf("plain text: %q", text)
	}
	if date.IsZero() || date.Year() != 2002 {
		t.Errorf("date %v", date)
	}

	multi := "From: s@example.org\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"XX\"\n\n" +
		"--XX\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"<html><head><style>p{}</style></head><body><p>Cheap <a href=3D\"http://pills.example/buy\">meds here</a></p></body></html>\n" +
		"--XX--\n"
	_, text = body([]byte(multi))
	if !strings.Contains(text, "Cheap") || !strings.Contains(text, "meds here http://pills.example/buy") || strings.Contains(text, "<") || strings.Contains(text, "p{}") {
		t.Errorf("html part: %q", text)
	}

	long := "Subject: x\n\n" + strings.Repeat("word ", 400)
	if _, text = body([]byte(long)); len(text) > maxText || len(text) < maxText-10 {
		t.Errorf("a long body kept %d bytes", len(text))
	}
}
