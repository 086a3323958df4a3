// Package danger recognises words that suggest someone may be in immediate danger: an
// overdose happening now, someone not breathing or not waking up, blue lips, suicide and
// the wish to die, in the words families use when they write in a hurry.
//
// The list is maintained here, in phrases (below), each a small regular expression with
// the variants and inflections people type ("OD'd", "overdosed", "isn't breathing", "can't
// wake him up", "kill himself"). Before matching, the text is lowered, curly apostrophes
// become straight ones and runs of spaces become one, so "Isn’t  breathing" matches as
// "isn't breathing". Phrases that name danger without anyone being in it ("overdose
// prevention training", "Narcan training", "suicide prevention month") are removed first
// (safe, below), so that an event announcement raises no alarm.
//
// Titles and post texts are matched, never content notes ("mentions overdose"), which
// describe a post for readers who would rather not read it.
//
// A match never blocks or delays a post: the composer shows the crisis box while the words
// are typed, the posted thread shows it to readers, and the moderators are told.
// danger_test.go holds the phrasings that must and must not match; add to both tables
// when you add to the lists.
package danger

import (
	"regexp"
	"strings"
)

// phrases are the expressions of immediate danger, one per line of thought.
var phrases = []string{
	// An overdose: overdose, overdosed, overdosing, OD'd, OD’ed, ODing, O.D.'d.
	`\boverdos(?:e|es|ed|ing)\b`,
	`\bo\.?d\.?(?:'|\s)?(?:d|ed|ing)\b`,
	`\bod\b(?:\s+(?:on|again|last night|yesterday|today|this morning|tonight))`,
	// Pills taken all at once.
	`\b(?:took|taken|taking|swallowed|swallow|ate)\s+(?:way\s+)?(?:too many|a (?:whole )?(?:bunch|handful|bottle) of|all (?:of )?(?:his|her|my|their|the|your))\s+(?:pills|tablets|meds|medications?|medicine|oxys?|xanax|percs?)\b`,
	`\btoo many pills\b`,
	// Breathing.
	`\b(?:not|isn't|isnt|is not|wasn't|wasnt|was not|aren't|stopped|stop|quit|no longer|can't|cant|cannot|couldn't|barely|hardly|struggling to|trouble)\s+(?:breathing|breathe|breath)\b`,
	`\bno (?:pulse|heartbeat)\b`,
	`\b(?:unresponsive|not responding|not responsive|won't respond|wont respond|isn't responding)\b`,
	// Not waking up.
	`\b(?:won't|wont|will not|can't|cant|cannot|couldn't|couldnt|didn't|didnt|not|isn't|isnt|is not)\s+(?:wake|waking)(?:\s+(?:him|her|them|my \w+))?\s+up\b`,
	`\b(?:can't|cant|cannot|couldn't|couldnt)\s+wake\s+(?:him|her|them|my \w+)\b`,
	// Blue or grey lips, face, fingertips.
	`\b(?:lips|lip|face|fingertips|fingers|nails|skin)\s+(?:are|is|were|was|went|turned|turning|going|gone|look|looks|looked|looking)\s+(?:\w+\s+)?(?:blue|grey|gray|purple)\b`,
	`\b(?:blue|grey|gray|purple)\s+(?:lips|fingertips)\b`,
	`\bturn(?:ed|ing|s)?\s+blue\b`,
	// Narcan given now.
	`\b(?:gave|give|giving|given|used|use|using)\s+(?:him|her|them|my \w+)\s+(?:narcan|naloxone)\b`,
	`\b(?:narcan|naloxone)\s+(?:isn't|isnt|is not|didn't|didnt|did not|not)\s+work`,
	// Suicide and the wish to die.
	`\bsuicid(?:e|al|es)\b`,
	`\b(?:want|wants|wanted|wanting|wanna|going|gonna|ready|trying|tried)\s+to\s+die\b`,
	`\b(?:kill(?:s|ed|ing)?|hurt(?:s|ing)?|hang(?:s|ed|ing)?|shoot(?:s|ing)?)\s+(?:him|her|my|them|your|our)(?:self|selves)\b`,
	`\bkill(?:s|ed|ing)?\s+themself\b`,
	`\b(?:end|ending|ended|take|taking|took)\s+(?:his|her|my|their|your)\s+(?:own\s+)?life\b`,
	`\bend(?:ing)?\s+it\s+all\b`,
	`\bbetter off dead\b`,
	`\bwish(?:es|ed)?\s+(?:he|she|i|they)\s+(?:was|were)\s+dead\b`,
	`\bno (?:reason|point) (?:in|to) (?:living|live|go on|going on)\b`,
}

// safe are the phrases that name danger without anyone being in it: events, training,
// statistics. They are removed before phrases are looked for.
var safe = []string{
	`\b(?:international\s+)?(?:overdose|suicide|od)\s+(?:prevention|awareness|response|reversal|education|training|statistics|stats|rates?|data|research|deaths? (?:rate|statistics))(?:\s+(?:training|month|week|day|program|programme|class|course|event|walk|workshop|kit|kits|plan|plans|group|groups|line|lifeline))*\b`,
	`\b(?:narcan|naloxone)\s+(?:training|class|course|kit|kits|workshop)\b`,
	`\b(?:overdose|suicide)\s+(?:survivors?|loss)\s+(?:group|groups|meeting|meetings|support)\b`,
}

var (
	danger   = regexp.MustCompile(`(?:` + strings.Join(phrases, `|`) + `)`)
	harmless = regexp.MustCompile(`(?:` + strings.Join(safe, `|`) + `)`)
	spaces   = regexp.MustCompile(`\s+`)
)

// normalize lowers text, straightens apostrophes and folds runs of spaces.
func normalize(text string) string {
	text = strings.ToLower(text)
	text = strings.NewReplacer("’", "'", "‘", "'", "ʼ", "'", "`", "'").Replace(text)
	return spaces.ReplaceAllString(text, " ")
}

// Match reports whether any of texts suggests someone may be in immediate danger.
func Match(texts ...string) bool {
	for _, t := range texts {
		if Phrase(t) != "" {
			return true
		}
	}
	return false
}

// Phrase returns the first words of text that suggest immediate danger, normalized, or ""
// when there are none (for tests, and for a moderator to see why a post was flagged).
func Phrase(text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	t := harmless.ReplaceAllString(normalize(text), " ")
	return danger.FindString(t)
}
