package spam

import (
	"slices"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []string
		notWant []string
	}{
		{"words lowercased with pairs", "Check out MY channel", []string{"check", "channel", "2:check out", "2:my channel"}, nil},
		{"function words count only in pairs with other words", "Check out MY channel", []string{"2:check out", "2:my channel"}, []string{"out", "my", "2:out my"}},
		{"apostrophes join", "I'm tired now", []string{"tired", "2:im tired"}, []string{"i", "m", "im"}},
		{"links give a domain and no words", "see https://www.Example.com/x?y=1 now", []string{"shape:link", "url:example.com", "see", "now"}, []string{"https", "www", "example"}},
		{"bare domains are links", "visit bit.ly/abc.", []string{"url:bit.ly"}, []string{"bit", "ly"}},
		{"a sentence end is no link", "the end.Next time", []string{"end", "next"}, []string{"shape:link"}},
		// The comment Markdown's ways of writing a link.
		{"markdown links count by destination", "[cheap pills](http://pills.example.net/buy) discount",
			[]string{"shape:link", "url:example.net", "cheap", "pills", "discount"}, []string{"http", "buy"}},
		{"markdown images count by destination", "![x](https://img.example.org/i.png)", []string{"url:example.org"}, nil},
		{"autolinks are links, not tags", "see <https://pills.example.com/x> now", []string{"url:example.com", "see", "now"}, nil},
		{"links in parentheses and emphasis", "(https://a.example.com) **www.b.example.net**",
			[]string{"url:example.com", "url:example.net", "shape:links"}, nil},
		{"html links count by href", `<a href="http://spam.example.net/x">click</a><br />`, []string{"url:example.net", "click"}, []string{"br", "href"}},
		{"entities decode", "it&#39;s &amp; more", []string{"2:its more", "more"}, []string{"39"}},
		{"byte order marks vanish", "cool\ufeff", []string{"cool"}, nil},
		{"shouting", "PLEASE SUBSCRIBE TO MY CHANNEL", []string{"shape:shouting"}, nil},
		{"repeated punctuation", "wow!!! really???", []string{"shape:repeat!", "shape:repeat?"}, nil},
		{"long numbers and money", "call 0800 123456 to win £100", []string{"shape:number", "shape:money"}, nil},
		{"short texts say so", "nice", []string{"shape:short"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokens(tt.text)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Tokens(%q) lacks %q: %q", tt.text, w, got)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(got, w) {
					t.Errorf("Tokens(%q) has %q: %q", tt.text, w, got)
				}
			}
			seen := map[string]bool{}
			for _, g := range got {
				if seen[g] {
					t.Errorf("token %q twice", g)
				}
				seen[g] = true
			}
		})
	}
}

func TestClassifierLearnsAndUnlearns(t *testing.T) {
	c := NewClassifier()
	if p, _ := c.Score(Tokens("anything")); p != 0.5 {
		t.Fatalf("an empty classifier says %v, want 0.5", p)
	}
	for range 5 {
		c.Learn(Tokens("subscribe to my channel for free money"), true, 1)
		c.Learn(Tokens("great song, love the chorus"), false, 1)
	}
	spam, _ := c.Score(Tokens("free money on my channel"))
	ham, _ := c.Score(Tokens("love this song"))
	if spam < 0.9 || ham > 0.1 {
		t.Fatalf("spam %.2f ham %.2f", spam, ham)
	}
	for range 5 {
		c.Learn(Tokens("subscribe to my channel for free money"), true, -1)
	}
	if p, _ := c.Score(Tokens("free money on my channel")); p > 0.5 {
		t.Errorf("after unlearning the spam still scores %.2f", p)
	}
	if s, h := c.Documents(); s != 0 || h != 5 {
		t.Errorf("documents %d spam %d ham", s, h)
	}
}
