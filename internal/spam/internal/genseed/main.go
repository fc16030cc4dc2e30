// Command genseed learns the built-in spam seed from the labeled data in
// internal/spam/testdata (spam.SeedSources) and writes it where the spam package
// embeds it. `go generate ./internal/spam` runs it; a test regenerates the seed and
// fails if the committed file differs.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/winnow/winnow/internal/spam"
)

func main() {
	out := flag.String("out", "seed.bin", "the seed file to write")
	data := flag.String("data", "testdata", "the labeled data folder")
	flag.Parse()
	ex, err := spam.ReadSeedSources(os.DirFS(*data))
	if err != nil {
		fmt.Fprintln(os.Stderr, "genseed:", err)
		os.Exit(1)
	}
	s := spam.TrainSeed(ex)
	b := s.Encode()
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genseed:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "seed: %d examples, %d features, %d bytes\n", len(ex), s.Features(), len(b))
}
