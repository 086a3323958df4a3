package benchdata

import (
	"math"
	"math/rand/v2"
	"strings"
)

// The board's words follow a Zipf distribution over a vocabulary of VocabularySize words,
// as words in real writing do: a few very common words ("the", "and"), the community's
// terms at the ranks where a real board of families has them (present in 1-10%
// of the threads each), and a long tail of words that only a handful of threads use.

// VocabularySize is how many distinct words the synthetic board draws from.
const VocabularySize = 24000

// zipfExponent shapes the distribution of words: the share of the word of rank k is
// about k^-zipfExponent.
const zipfExponent = 1.05

// commonWords lead the vocabulary: the glue of English sentences.
var commonWords = strings.Fields(`the and to of a i in my is that it we for he she was with
have but not on this our be are they at so what do about has him her me can if or just all
been from when how would know there will had up out like get one time did very because no`)

// communityWords are what families on the board write about, taken from the demo's topics
// and the questions people ask; they take ranks from 300 on, so that each shows up in a
// few percent of the threads (1-10%), the way "relapse" or "boundaries" do on a real board.
var communityWords = strings.Fields(`son daughter family husband wife worried relapse recovery
treatment detox rehab counselor therapist doctor medication buprenorphine methadone naltrexone
naloxone overdose boundaries money rent court probation officer judge drug test meeting group
support sober sobriety drinking alcohol opioids fentanyl pills cannabis vaping school college
job sleep anxiety depression trust lies anger hope love patience conversation listen calm safety
plan weekend holiday dinner phone night morning craving trigger stress coping skills validation
motivation change ready program insurance waitlist intake assessment outpatient residential coach
sponsor CRAFT DBT MAT IOP SUD PO BALM harm reduction twelve step Al-Anon Nar-Anon SMART brother
sister parent grandparent enabling consequences withdrawal suboxone vivitrol narcan clinic
psychiatrist diagnosis dual interventions shelter housing custody grandchildren divorce guilt
shame grief exhausted boundaries curfew lying stealing police arrest jail bail lawyer sentence
diversion drugcourt counseling family therapy communication rewards reinforcement naloxone kit
pharmacy prescription tapering dosage relapsed clean days chips meetings sponsor step work
detoxing hospital emergency ambulance psychosis paranoia mania bipolar adhd trauma ptsd`)

// syllables build the words of the long tail: pronounceable, and different from every
// real word the tests search for.
var onsets = strings.Fields(`b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr qu r s sh sk sl sm sn sp st str t th tr v w wh z`)
var nuclei = strings.Fields(`a e i o u ai ea ee oa oo ou ie`)
var codas = append([]string{""}, strings.Fields(`b ck d ft g l ld lk m mp n nd ng nk nt p r rd rk rm rn rt s sh st t th x`)...)

// vocabulary returns the board's words by rank, the same for every seed.
func vocabulary() []string {
	words := make([]string, 0, VocabularySize)
	seen := map[string]bool{}
	add := func(w string) {
		if !seen[strings.ToLower(w)] {
			seen[strings.ToLower(w)] = true
			words = append(words, w)
		}
	}
	for _, w := range commonWords {
		add(w)
	}
	// The community's terms spread over ranks 300 to about 3,300: one every 15 ranks.
	r := rand.New(rand.NewPCG(1, 2))
	community := 0
	for len(words) < VocabularySize {
		if community < len(communityWords) && len(words) >= 300+community*15 {
			add(communityWords[community])
			community++
			continue
		}
		n := 1 + r.IntN(3)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(nuclei[r.IntN(len(nuclei))])
			if i == n-1 || r.IntN(2) == 0 {
				b.WriteString(codas[r.IntN(len(codas))])
			}
		}
		if w := b.String(); len(w) >= 3 {
			add(w)
		}
	}
	return words
}

// text draws words from the vocabulary by rank.
type text struct {
	words []string
	cdf   []float64 // cumulative share of each rank
}

func newText() *text {
	t := &text{words: vocabulary()}
	t.cdf = make([]float64, len(t.words))
	var sum float64
	for k := range t.words {
		sum += math.Pow(float64(k+1), -zipfExponent)
		t.cdf[k] = sum
	}
	for k := range t.cdf {
		t.cdf[k] /= sum
	}
	return t
}

func (t *text) word(r *rand.Rand) string {
	u := r.Float64()
	lo, hi := 0, len(t.cdf)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if t.cdf[mid] < u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return t.words[lo]
}

func (t *text) sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.word(r))
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func (t *text) paragraph(r *rand.Rand) string {
	var b strings.Builder
	for i, n := 0, 2+r.IntN(4); i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.sentence(r, 6+r.IntN(12)))
	}
	return b.String()
}

// threadLengths returns the number of posts of each of n threads, 1 to maxPosts, adding
// up to total: a long tail, as on real boards (most threads have a few replies, a few
// have hundreds), from a power law whose exponent is chosen to give the mean asked for.
func threadLengths(r *rand.Rand, n, total, maxPosts int) []int {
	mean := float64(total) / float64(n)
	meanOf := func(alpha float64) float64 {
		var w, m float64
		for k := 1; k <= maxPosts; k++ {
			p := math.Pow(float64(k), -alpha)
			w += p
			m += p * float64(k)
		}
		return m / w
	}
	lo, hi := 0.0, 5.0
	for i := 0; i < 60; i++ {
		mid := (lo + hi) / 2
		if meanOf(mid) > mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	cdf := make([]float64, maxPosts)
	var sum float64
	for k := 1; k <= maxPosts; k++ {
		sum += math.Pow(float64(k), -lo)
		cdf[k-1] = sum
	}
	lengths := make([]int, n)
	got := 0
	for i := range lengths {
		u := r.Float64() * sum
		k := 0
		for k < maxPosts-1 && cdf[k] < u {
			k++
		}
		lengths[i] = k + 1
		got += k + 1
	}
	// Make the total exact: add or take posts one at a time on random threads.
	for got != total {
		i := r.IntN(n)
		switch {
		case got < total && lengths[i] < maxPosts:
			lengths[i]++
			got++
		case got > total && lengths[i] > 1:
			lengths[i]--
			got--
		}
	}
	return lengths
}
