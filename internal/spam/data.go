package spam

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
)

// Example is one labeled text for training and evaluation.
type Example struct {
	Author string
	Text   string
	Spam   bool
	// Date is when it was written, if the data says; a prequential replay is in
	// date order.
	Date time.Time
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
	date, okD := col["DATE"]
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
		if okD {
			for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339} {
				if t, err := time.Parse(layout, strings.TrimSpace(rec[date])); err == nil {
					ex.Date = t
					break
				}
			}
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

// ReadExamples reads labeled examples in either format, told apart by the first
// line: the YouTube CSV one names its CONTENT and CLASS columns there; otherwise it is
// the SMS one (label, tab, text). The contents decide, not a file's name, so a file
// is read alike whatever it is called, by the command line and the tests.
func ReadExamples(r io.Reader) ([]Example, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if first = bytes.ToUpper(first); bytes.Contains(first, []byte("CONTENT")) && bytes.Contains(first, []byte("CLASS")) {
		return ReadYouTubeCSV(bytes.NewReader(b))
	}
	return ReadSMS(bytes.NewReader(b))
}

// ReadFile reads a labeled file from fsys (ReadExamples), naming it in an error.
func ReadFile(fsys fs.FS, name string) ([]Example, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := ReadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ex, nil
}
