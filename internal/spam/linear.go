package spam

import (
	"math"
	"sync"
)

// The linear model is an online logistic regression over hashed features (see
// features.go), learned by AdaGrad: each feature's step shrinks with the square root
// of the squared gradients it has seen, so a rare feature (a campaign's new domain)
// moves fast and a common one (a function word) settles. Its state is additive — a
// weight and an accumulator per feature and scope — so lessons learned on different
// replicas commute when their deltas are summed in the database.
//
// A site is scored on the built-in seed (weighing less as the site's own lessons
// grow), the shared scope and its own scope, summed.

// Tuning, measured on the repository's data (eval_data_test.go).
const (
	learnRate = 0.35 // AdaGrad's step
	// seedHalfLife is how many lessons (shared and the site's own) halve the seed's weight.
	seedHalfLife = 200
	// balanceSlack lets the first lessons of a class count fully whatever the other
	// class has; after it, a class's lessons weigh at most as the other's number.
	balanceSlack = 10
	adagradEps   = 1e-6
	// wholeMinWords is the fewest words a text needs to be remembered whole; shorter
	// ones ("thanks a lot") are written alike by many readers.
	wholeMinWords = 5
	// wholeRate multiplies the step of the whole-text feature: a moderator's mark on a
	// campaign's copy moves the next copy's log-odds by about one.
	wholeRate = 4
	// tokWhole marks the whole-text feature in a vec.
	tokWhole = -1000
)

// WeightDelta is a change to one feature's weight and AdaGrad accumulator in one
// scope; stored rows are sums of deltas, and carry the revision of their last change.
type WeightDelta struct {
	Scope   string
	Feature uint32
	Weight  float64
	Accum   float64
	Rev     int64
}

// acc is one feature's learned state.
type acc struct{ w, g float32 }

// Linear is one scope's learned weights (the shared scope's, or a site's own), on
// top of the seed. Safe for concurrent use.
type Linear struct {
	mu sync.RWMutex
	w  map[uint32]acc
	// filter has a bit for every group of 16 buckets holding a weight, so a look-up
	// of an absent feature (most, in a site's scope) skips the map.
	filter []uint64
}

const filterShift = 4

// NewLinear returns an empty scope.
func NewLinear() *Linear {
	return &Linear{w: map[uint32]acc{}, filter: make([]uint64, (1<<featureBits>>filterShift)/64)}
}

func (l *Linear) get(f uint32) (acc, bool) {
	b := f >> filterShift
	if l.filter[b>>6]&(1<<(b&63)) == 0 {
		return acc{}, false
	}
	a, ok := l.w[f]
	return a, ok
}

// add applies a delta; callers hold the lock.
func (l *Linear) add(f uint32, dw, dg float32) {
	a := l.w[f]
	a.w += dw
	a.g += dg
	l.w[f] = a
	b := f >> filterShift
	l.filter[b>>6] |= 1 << (b & 63)
}

// set replaces a feature's state with a stored sum; callers hold the lock.
func (l *Linear) set(f uint32, w, g float32) {
	l.w[f] = acc{w, g}
	b := f >> filterShift
	l.filter[b>>6] |= 1 << (b & 63)
}

// swap takes o's weights as l's own, at once; o is not used after.
func (l *Linear) swap(o *Linear) {
	l.mu.Lock()
	l.w, l.filter = o.w, o.filter
	l.mu.Unlock()
}

// vec is a submission's features with their values, gathered once per score.
type vec struct {
	f   []uint32
	x   []float32
	tok []int16 // index in the analysis's tokens, or -1 (4-grams) or -2-signal
	// seedScale is how much of the seed's weight the text's features get (minVolume).
	seedScale float32
}

func (v *vec) reset() { v.f, v.x, v.tok = v.f[:0], v.x[:0], v.tok[:0] }

// featurize gathers a submission's features: its text's and its signals.
func featurize(v *vec, a *analysis, author, website string, scripts []string) {
	v.reset()
	v.seedScale = float32(math.Sqrt(min(1, float64(len(a.tokens))/minVolume)))
	a.features(func(f uint32, x float32, tok int) {
		v.f = append(v.f, f)
		v.x = append(v.x, x)
		v.tok = append(v.tok, int16(min(tok, math.MaxInt16)))
	})
	// The whole text, for a text of some words: a campaign posts the same words
	// again, and one lesson should be enough to know them (wholeRate).
	if len(a.words) >= wholeMinWords {
		h := uint32(fnvOffset ^ 0x2545f491)
		for _, w := range a.words {
			h = hashString(h, w)
			h = (h ^ ' ') * fnvPrime
		}
		v.f = append(v.f, bucket(h))
		v.x = append(v.x, 1)
		v.tok = append(v.tok, tokWhole)
	}
	textSignals(func(s signal) {
		v.f = append(v.f, signalFeature(s))
		v.x = append(v.x, 1)
		v.tok = append(v.tok, -2-int16(s))
	}, author, website, a, scripts)
}

// linearView is what one site is scored with: the seed, the shared scope and the
// site's own, with the seed's weight for this site.
type linearView struct {
	seed       *Seed
	seedWeight float32
	shared     *Linear
	own        *Linear // nil for the shared scope itself
}

// contribution is one feature's part of a score, for the reasons.
type contribution struct {
	tok int16
	z   float32
}

// score returns the log-odds of spam from all scopes, from the seed alone and
// from everything but the seed (for the site's seed setting), and the features that
// pushed the score towards spam most.
func (lv linearView) score(v *vec, top *[4]contribution) (z, zSeed float64) {
	var seed []float32
	if lv.seed != nil {
		seed = lv.seed.w
	}
	lv.shared.mu.RLock()
	if lv.own != nil {
		lv.own.mu.RLock()
	}
	sw := lv.seedWeight * v.seedScale
	for i, f := range v.f {
		x := v.x[i]
		var ws, wl float32
		if seed != nil {
			ws = seed[f] * sw
			if v.tok[i] <= -2 {
				ws = seed[f] * lv.seedWeight // signals are no words: they keep their weight
			}
		}
		if a, ok := lv.shared.get(f); ok {
			wl += a.w
		}
		if lv.own != nil {
			if a, ok := lv.own.get(f); ok {
				wl += a.w
			}
		}
		c := (ws + wl) * x
		z += float64(c)
		zSeed += float64(ws * x)
		if top != nil && c > top[len(top)-1].z {
			j := len(top) - 1
			for j > 0 && c > top[j-1].z {
				top[j] = top[j-1]
				j--
			}
			top[j] = contribution{tok: v.tok[i], z: c}
		}
	}
	if lv.own != nil {
		lv.own.mu.RUnlock()
	}
	lv.shared.mu.RUnlock()
	return z, zSeed
}

// step is the change one lesson makes to the learning scope: AdaGrad on the log
// loss at the current prediction, weighted by weight (class balance). direction +1
// learns the label; -1 unlearns it (see below). emit receives each change.
func (lv linearView) step(v *vec, spam bool, weight float64, direction float64, emit func(f uint32, dw, dg float32)) {
	scale := float32(math.Abs(direction))
	z, _ := lv.score(v, nil)
	p := sigmoid(z)
	y := 0.0
	if spam {
		y = 1
	}
	gz := (p - y) * weight
	if direction < 0 {
		// Unlearning takes a step towards the other label, as a lesson of it would,
		// and leaves the accumulators alone: the lesson's exact step cannot be known
		// once others came after it, and a step at the current weights is bounded.
		gz = (p - (1 - y)) * weight
	}
	target := lv.own
	if target == nil {
		target = lv.shared
	}
	target.mu.RLock()
	defer target.mu.RUnlock()
	for i, f := range v.f {
		g := float32(gz) * v.x[i]
		if g == 0 {
			continue
		}
		a, _ := target.get(f)
		rate := float32(learnRate)
		if v.tok[i] == tokWhole {
			rate *= wholeRate
		}
		if direction > 0 {
			g2 := scale * g * g
			emit(f, -scale*rate*g/float32(math.Sqrt(float64(a.g+g2))+adagradEps), g2)
		} else {
			emit(f, -scale*rate*g/float32(math.Sqrt(float64(max(a.g, g*g)))+adagradEps), 0)
		}
	}
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// balance is a lesson's weight: a class's lessons count fully up to the other
// class's number (plus balanceSlack), then less, so that a site that teaches mostly
// spam cannot make the words every comment has into spam evidence.
func balance(same, other int) float64 {
	return min(1, float64(other+balanceSlack)/float64(same+1))
}

// seedWeightFor is the seed's weight for a site that has learned n lessons of its own.
func seedWeightFor(n int) float32 {
	return float32(seedHalfLife) / float32(seedHalfLife+max(n, 0))
}
