package spam

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Example is one labeled text for training and evaluation.
type Example struct {
	Author string
	Text   string
	Spam   bool
}

// ReadYouTubeCSV reads the UCI YouTube Spam Collection format:
// COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS with CLASS 1 for spam. The invisible U+FEFF
// that ends most contents is dropped; HTML in the content is left for the tokenizer,
// as a submitted body's would be.
func ReadYouTubeCSV(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("youtube csv: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToUpper(strings.Trim(h, "\ufeff \""))] = i
	}
	content, okC := col["CONTENT"]
	class, okK := col["CLASS"]
	author, okA := col["AUTHOR"]
	if !okC || !okK {
		return nil, fmt.Errorf("youtube csv: need CONTENT and CLASS columns, have %v", header)
	}
	var out []Example
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("youtube csv: %w", err)
		}
		ex := Example{Text: strings.ReplaceAll(rec[content], "\ufeff", "")}
		if okA {
			ex.Author = rec[author]
		}
		switch strings.TrimSpace(rec[class]) {
		case "1":
			ex.Spam = true
		case "0":
		default:
			return nil, fmt.Errorf("youtube csv: record %d: CLASS %q is not 0 or 1", line, rec[class])
		}
		out = append(out, ex)
	}
}

// ReadSMS reads the SMS Spam Collection format: "ham" or "spam", a tab, the text.
func ReadSMS(r io.Reader) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		label, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			return nil, fmt.Errorf("sms: line %d: no tab", line)
		}
		switch label {
		case "spam":
			out = append(out, Example{Text: text, Spam: true})
		case "ham":
			out = append(out, Example{Text: text})
		default:
			return nil, fmt.Errorf("sms: line %d: label %q is not ham or spam", line, label)
		}
	}
	return out, sc.Err()
}
