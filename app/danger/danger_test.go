package danger

import "testing"

func TestPhrasesThatMatch(t *testing.T) {
	for _, text := range []string{
		"he took too many pills and isn't breathing",
		"He took too many pills and isn’t breathing",
		"My son overdosed last night",
		"she OD'd again",
		"She OD’d in the car",
		"I think he is ODing right now",
		"he's overdosing, what do I do",
		"I'm scared she will overdose",
		"he's not breathing",
		"he stopped breathing for a minute",
		"she can't breathe",
		"he is barely breathing",
		"I can't wake him up",
		"she won't wake up",
		"he wont wake up and his lips are blue",
		"her lips are turning blue",
		"blue lips",
		"his face went grey",
		"he's turning blue",
		"no pulse",
		"he is unresponsive",
		"I gave him narcan twice",
		"the narcan isn't working",
		"she talks about suicide",
		"he is suicidal",
		"my daughter said she wants to die",
		"He says he wanted to die",
		"he threatened to kill himself",
		"I want to kill myself",
		"she might hurt herself",
		"they said they would kill themselves",
		"he wants to end his life",
		"she wants to end it all",
		"he said we'd be better off if he was dead, he's better off dead",
		"he swallowed a bottle of pills",
		"He took all of his meds at once",
	} {
		if Phrase(text) == "" {
			t.Errorf("%q: no danger found; want it found", text)
		}
	}
}

func TestPhrasesThatDoNotMatch(t *testing.T) {
	for _, text := range []string{
		"",
		"We went to an overdose prevention training at the library",
		"Overdose Awareness Day is on August 31",
		"International Overdose Awareness Day walk",
		"Is there a narcan training near Dayton?",
		"Our church hosts naloxone training monthly",
		"September is suicide prevention month",
		"The suicide prevention lifeline number is on the fridge",
		"I wake up at 6 every day",
		"he wakes up late and skips breakfast",
		"she wears blue jeans and a grey hoodie",
		"she wants to diet before the wedding",
		"we practised breathing exercises from DBT",
		"take a deep breath before you talk to him",
		"he kills it at work but drinks every night",
		"killing time at the clinic",
		"the odds of relapse go down with MAT",
		"he coded the website himself",
		"I love him to death",
		"the godfather died in the film",
		"his PO called again",
		"she takes her meds every morning",
		"I read the overdose statistics for our county",
	} {
		if p := Phrase(text); p != "" {
			t.Errorf("%q: found danger in %q; want none", text, p)
		}
	}
}

func TestMatchLooksAtEveryText(t *testing.T) {
	if !Match("Help please", "", "he isn't breathing") {
		t.Error("danger in the second text was not found")
	}
	if Match("CRAFT for beginners", "boundaries with an adult son") {
		t.Error("danger found in calm texts")
	}
}
