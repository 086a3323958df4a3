package demo

import "forum/app/model"

// Persona is an invented member of the demo board.
type Persona struct {
	Key        string // stable key, used by the development sign-in
	Pseudonym  string // public display name
	Email      string // private
	Role       model.Role
	Credential string // experts only: the credential line shown on every post
	Bio        string // one or two sentences, first person
	JoinReason string // pending only: what they told the moderators brings them here
}

// Tag is a curated topic.
type Tag struct {
	Slug        string
	Name        string
	Description string
}

// Thread is an invented thread with its replies.
type Thread struct {
	Key         string     // stable unique key; the seeder uses it for idempotency
	Kind        model.Kind // model.KindQuestion when empty
	Author      string     // persona Key
	Anonymous   bool       // posted as "A member of the community"
	Title       string
	Body        string   // markdown
	ContentNote string   // optional
	Tags        []string // 1 to 5 tag slugs
	Pinned      bool
	Locked      bool
	DaysAgo     int // when the opening post was written
	Replies     []Reply
	// Edit, when set, is the opening post's text as its author edited it later: the
	// earlier text stays in the post's history.
	Edit *Edit
	// PublishedBy, when set, is the expert (persona Key) who published the answered
	// question to the public archive, after its asker agreed.
	PublishedBy string
	// Related are threads an expert linked to this one, with a note shown on both.
	Related []Related
}

// Edit is a later version of an opening post.
type Edit struct {
	Body       string // markdown
	HoursLater int    // hours after the opening post
}

// Related is a link to another demo thread.
type Related struct {
	Key  string // the other thread's Key
	By   string // persona Key of the expert who linked them
	Note string
}

// Reply is one reply in a thread.
type Reply struct {
	Author     string // persona Key
	Anonymous  bool
	Body       string // markdown
	HoursLater int    // hours after the opening post
	Helpful    bool   // the asker marked this reply helpful
}

// Personas, Tags and Threads are the demo board.
var Personas = []Persona{
	{Key: "parent", Pseudonym: "maple_mom", Email: "parent@demo.invalid", Role: "member",
		Bio: "Mother of three. Our oldest, 19, has been using opioids since his last year of high school."},
	{Key: "spouse", Pseudonym: "quiet_harbor", Email: "spouse@demo.invalid", Role: "member",
		Bio: "Husband of a wonderful woman in early recovery from alcohol. Learning as I go."},
	{Key: "sibling", Pseudonym: "north_star_sis", Email: "sibling@demo.invalid", Role: "member",
		Bio: "Big sister. My brother uses opioids and is on probation; I am the one our parents call."},
	{Key: "coach", Pseudonym: "coach_dana", Email: "coach@demo.invalid", Role: "expert",
		Credential: "CRAFT-certified family recovery coach",
		Bio:        "I have coached families for twelve years. I believe in kindness, boundaries and small steps."},
	{Key: "doctor", Pseudonym: "dr_okafor", Email: "doctor@demo.invalid", Role: "expert",
		Credential: "Addiction medicine physician, MD",
		Bio:        "I treat substance use disorders in an outpatient clinic and answer medical questions here in general terms."},
	{Key: "moderator", Pseudonym: "river_stone", Email: "moderator@demo.invalid", Role: "moderator",
		Bio: "Parent of a son in long-term recovery. I welcome new members and keep this place kind."},
	{Key: "admin", Pseudonym: "kinship_steward", Email: "admin@demo.invalid", Role: "admin",
		Bio: "I look after the forum itself: accounts, invites and settings."},
	{Key: "newcomer", Pseudonym: "new_here_22", Email: "newcomer@demo.invalid", Role: "pending",
		Bio:        "Just found this place.",
		JoinReason: "My nephew has been using since he lost his job, and my sister asked me to help her work out what to do. I want to learn how to talk with him without making it worse."},
}

// Tags are the demo topics.
var Tags = []Tag{
	{"craft", "CRAFT", "Community Reinforcement and Family Training: an evidence-based way for families to encourage a loved one toward treatment while caring for themselves."},
	{"dbt", "DBT", "Dialectical Behavior Therapy skills for families: staying steady in hard conversations, tolerating distress, validating without agreeing."},
	{"harm-reduction", "Harm reduction", "Keeping a loved one alive and safer while they still use: naloxone, test strips, never using alone."},
	{"mat", "MAT", "Medication for addiction treatment: buprenorphine, methadone and naltrexone for opioids; medications for alcohol use disorder."},
	{"motivational-interviewing", "Motivational interviewing", "Conversations that draw out a person's own reasons to change instead of arguing for it."},
	{"boundaries", "Boundaries", "Deciding what you will and will not do, saying it kindly, and holding to it."},
	{"relapse", "Relapse", "When use returns after a time of recovery: what it means, what helps, what to do next."},
	{"probation", "Probation", "Courts, probation officers (PO), drug court and check-ins."},
	{"treatment", "Treatment", "Finding and choosing care: detox, IOP, residential programs, outpatient counseling."},
	{"self-care", "Self-care", "Looking after yourself while you love someone who struggles."},
	{"12-step", "12-step", "Al-Anon, Nar-Anon, AA, NA and other mutual-help groups, for families and for the person using."},
	{"recovery-coaching", "Recovery coaching", "Peer recovery coaches and how they help people in early recovery."},
	{"naloxone", "Naloxone", "Naloxone (Narcan) reverses an opioid overdose. Where to get it and how to use it."},
	{"teens-and-young-adults", "Teens and young adults", "When the person you worry about is still young: school, home rules, college."},
	{"alcohol", "Alcohol", "Drinking problems, alcohol use disorder, and early sobriety."},
	{"balm", "BALM", "Be A Loving Mirror: a family program of skills for loving someone with a substance use problem."},
}

// Threads is the demo board's conversations.
var Threads = []Thread{
	{
		Key: "welcome", Kind: model.KindDiscussion, Author: "moderator", Pinned: true, Locked: true, DaysAgo: 120,
		Title: "Welcome to Kinship: how this community works",
		Tags:  []string{"self-care"},
		Body: `Welcome. If you are reading this, someone you love is struggling, and you are tired. You are in the right place.

**A few things about how we work:**

- Everything here is for members only. Nobody outside can read what you write.
- You choose a pseudonym. You can also post any question anonymously: others see "A member of the community".
- Experts carry a badge and their credential on every answer. They answer in general terms; they are not your loved one's doctor.
- When an answer helps you, press **This helped me** under it. It helps the next family find it.

If someone is in danger right now, use the **Get help now** link at the top of every page.

Be gentle with each other. Everyone here is carrying something heavy.`,
	},
	{
		Key: "crisis-resources", Kind: model.KindDiscussion, Author: "moderator", Pinned: true, DaysAgo: 119,
		Title: "Crisis resources and what to do in an emergency",
		Tags:  []string{"naloxone", "harm-reduction"}, ContentNote: "mentions overdose",
		Body: `If someone is not breathing, is unresponsive, or has blue lips: **call 911 first**, then give naloxone if you have it, and stay with them.

- 988 Suicide & Crisis Lifeline: call or text 988 (US), for the person and for you.
- SAMHSA National Helpline: 1-800-662-4357, free, 24/7, treatment referral in English and Spanish.
- Find licensed treatment near you: https://findtreatment.gov

Many states have Good Samaritan laws that protect people who call for help at an overdose. Please keep naloxone at home if anyone in your family uses opioids, or if pills could be laced with fentanyl.`,
	},
	{
		Key: "craft-first-conversation", Author: "parent", DaysAgo: 95,
		Title: "How do I start a conversation about treatment without a fight?",
		Tags:  []string{"craft", "motivational-interviewing", "treatment"},
		Body: `Every time I bring up treatment with my son (19) it turns into shouting. He says I am "always on him" and leaves. Then I lie awake.

I read about CRAFT but I do not know where to start. What do I actually say? And when?`,
		Replies: []Reply{
			{Author: "sibling", HoursLater: 3, Body: `Same with my brother. What helped a little was never bringing it up when he was high or when I was angry. Sounds obvious, but I did it for years.`},
			{Author: "coach", HoursLater: 9, Helpful: true, Body: `You are asking exactly the right question, and the fact that you want to avoid a fight already puts you ahead.

CRAFT suggests three things for that first conversation:

1. **Pick the moment.** Talk when he is sober and calm, and when something has just gone a little wrong for him because of using (a missed shift, feeling sick). That is when the door opens.
2. **Lead with love and with "I".** "I love you and I miss how we used to talk. I worry when you come home late" works better than "You are ruining your life".
3. **Have something concrete ready.** A phone number, an appointment time, an offer to drive. If he says yes, act within the day.

If he says no, that is fine. Say "OK, the offer stands," and drop it. Then go back to rewarding the sober moments: the dinners, the laughs. You are building a pattern, not winning one talk.

Would you like to practice the first sentence here? Write what you would say, and we can shape it together.`},
			{Author: "parent", HoursLater: 30, Body: `Thank you. I am going to try "I miss you" instead of my usual speech. I will report back.`},
		},
		PublishedBy: "coach",
		Related: []Related{{Key: "son-refuses-everything", By: "coach", Note: "When he says no to every offer of help"},
			{Key: "article-craft-basics", By: "coach", Note: "CRAFT in five minutes"}},
	},
	{
		Key: "mat-swapping-drugs", Author: "spouse", DaysAgo: 88,
		Title: "Is MAT just swapping one drug for another?",
		Tags:  []string{"mat", "treatment"},
		Body:  `My brother-in-law is on methadone and my father-in-law says it is "just legal heroin". My wife's cousin's doctor suggested buprenorphine for him too. I want to understand before the family dinner turns into a debate. Is MAT real treatment?`,
		Replies: []Reply{
			{Author: "doctor", HoursLater: 5, Helpful: true, Body: `It is a very common worry, and a fair question to ask.

Medications for opioid use disorder (MOUD, often called MAT) are among the best-studied treatments in all of medicine. **Buprenorphine and methadone cut the risk of dying by about half** while people take them. Naltrexone is a third option that blocks opioids.

The difference from "swapping drugs":

| | Heroin or fentanyl | Methadone or buprenorphine |
|---|---|---|
| Dose | unknown, often contaminated | measured, prescribed |
| Effect | highs and withdrawals many times a day | steady, no high at the right dose |
| Life | chasing the next dose | work, family, sleep |

People on a stable dose drive, work and parent. Recovery is about getting a life back, and medication is often what makes that possible. How long to stay on it is a decision for the person and their prescriber; for many it is years, and that is fine.`},
			{Author: "parent", HoursLater: 20, Body: `Thank you for the table. I printed it for my husband.`},
		},
		PublishedBy: "doctor",
		Related:     []Related{{Key: "article-mat-myths", By: "doctor", Note: "Five myths about this medication"}},
	},
	{
		Key: "naloxone-at-home", Author: "sibling", DaysAgo: 80,
		Title: "Should we keep naloxone at home even though my brother says he is clean?",
		Tags:  []string{"naloxone", "harm-reduction"}, ContentNote: "mentions overdose",
		Body: `My brother came home from jail three weeks ago and says he is done with opioids. My mom thinks keeping Narcan in the house would be "expecting him to fail". I think it is like a fire extinguisher. Who is right?`,
		Replies: []Reply{
			{Author: "doctor", HoursLater: 4, Helpful: true, Body: `You are right, and your mom's feeling is very understandable.

The weeks after release from jail or prison are one of the highest-risk times for an overdose, because tolerance drops while the drugs on the street have become stronger. Keeping naloxone at home does not encourage use; studies show it does not. It is a fire extinguisher, exactly as you said.

- Keep it where everyone knows, not hidden in a drawer.
- Everyone in the house should know the signs: not waking up, slow or no breathing, blue lips.
- **Call 911, give the naloxone, stay with him.** A second dose may be needed after 2 to 3 minutes.

Many pharmacies sell it without a prescription. You could tell your brother: "This is not because I think you will use. It is because I love you."`},
			{Author: "moderator", HoursLater: 7, Body: `We keep one in the kitchen and one in the car. It was the best conversation-free decision I ever made.`},
		},
		PublishedBy: "doctor",
		Related:     []Related{{Key: "fentanyl-test-strips", By: "doctor", Note: "Harm reduction at home: test strips"}},
	},
	{
		Key: "relapse-after-90-days", Author: "parent", Anonymous: true, DaysAgo: 70,
		Title: "He relapsed after 90 days. I feel like we are back at zero.",
		Tags:  []string{"relapse", "self-care", "craft"},
		Body: `Ninety days. We had a cake. Last night I found foil in his room and he admitted he used twice this week.

I am devastated and angry and I also feel stupid for hoping. Are we back at zero?`,
		Replies: []Reply{
			{Author: "spouse", HoursLater: 2, Body: `You are not stupid for hoping. Hope is what kept him alive for 90 days.`},
			{Author: "coach", HoursLater: 6, Helpful: true, Body: `You are not back at zero. Ninety days happened. He learned things, his body healed, and he has now told you the truth, which is itself a sign of the relationship you have built.

Relapse is common in recovery, much as it is with other chronic illnesses. What matters now:

- **Safety first.** If it was opioids, make sure naloxone is in the house.
- **Respond, do not react.** It is OK to say "I am upset and I need a day before we talk."
- **Get curious with him.** What was happening before? Stress, old friends, boredom, pain?
- **Reconnect with support.** Can he call his counselor or a recovery coach this week?

And please, look after yourself today. Go for a walk, call a friend, come and post here. Your anger and grief are allowed.`},
			{Author: "sibling", HoursLater: 12, Body: `My brother relapsed twice before his longest stretch. Every time the gap got longer. Hugs.`},
		},
		PublishedBy: "coach",
		Related: []Related{{Key: "wife-hides-bottles", By: "coach", Note: "Another family facing a return to use"},
			{Key: "po-drug-test-positive", By: "coach", Note: "A relapse while on probation"}},
	},
	{
		Key: "probation-missed-checkin", Author: "sibling", DaysAgo: 64,
		Title: "My brother missed his PO check-in. Do I cover for him?",
		Tags:  []string{"probation", "boundaries"},
		Body:  `He was supposed to see his PO yesterday and did not go. He wants me to call and say he was sick with me at the ER. I do not want him to go back to jail, but lying feels wrong. What do families usually do?`,
		Replies: []Reply{
			{Author: "coach", HoursLater: 8, Helpful: true, Body: `Please do not lie to his probation officer. It puts you at legal risk and it teaches him that you will absorb the consequences.

What you *can* do is support him in facing it:

- Encourage him to call the PO himself today. Officers often respond better to someone who calls quickly and honestly than to a missed check-in followed by silence.
- Offer a ride to the next appointment.
- If he has a lawyer or public defender, he should call them too.

You might say: "I will not lie for you, because I love you and I am not willing to get in trouble myself. I will drive you there tomorrow." That is a boundary and an act of love at the same time.`},
			{Author: "parent", HoursLater: 26, Body: `This is so hard. I covered for my son once and regretted it. Thank you for asking this.`},
		},
		PublishedBy: "coach",
		Related:     []Related{{Key: "drug-court-how-works", By: "coach", Note: "How drug court works for families"}},
	},
	{
		Key: "iop-or-residential", Author: "parent", DaysAgo: 58,
		Title: "IOP or residential treatment: how do families decide?",
		Tags:  []string{"treatment"},
		Body:  `Our son has finally agreed to treatment. The intake counselor mentioned IOP (three evenings a week) and also residential (28 days, two hours away). He wants IOP so he can keep his job. We are scared it is not enough. How do people choose?`,
		Replies: []Reply{
			{Author: "doctor", HoursLater: 6, Body: `Congratulations, first of all: him agreeing is a big step.

Clinicians usually decide the level of care with a structured assessment (the ASAM criteria), which looks at things like withdrawal risk, medical and mental health needs, living environment and past treatment.

In general, **IOP** can work well when withdrawal is managed (for opioids, often with buprenorphine), home is reasonably stable, and he is motivated. **Residential** is considered when there are repeated relapses in outpatient care, unsafe housing, or serious medical or psychiatric needs.

Ask the program: how did you decide on this recommendation, and what is the plan if IOP is not enough? A good program will have an answer. Starting where he is willing to start is often the right choice.`},
			{Author: "spouse", HoursLater: 30, Body: `My wife did IOP while working. It was tiring but it worked for her, with an Al-Anon group for me on the side.`},
		},
		PublishedBy: "doctor",
		Edit: &Edit{HoursLater: 52, Body: `Our son has finally agreed to treatment. The intake counselor mentioned IOP (three evenings a week) and also residential (28 days, two hours away). He wants IOP so he can keep his job. We are scared it is not enough. How do people choose?

**Update:** we asked the program how they decided, as suggested below. He starts IOP on Monday, with a plan to step up to residential if it is not enough. Thank you all.`},
	},
	{
		Key: "wife-early-sobriety-eggshells", Author: "spouse", DaysAgo: 52,
		Title: "My wife is 40 days sober and I feel like I am walking on eggshells",
		Tags:  []string{"alcohol", "self-care", "12-step"},
		Body:  `I am so proud of her. And I am also exhausted. I am afraid to say anything that might "trigger" her. I do not mention wine at restaurants, I hide my own beer, and I feel like a guest in my own house. Is this normal?`,
		Replies: []Reply{
			{Author: "moderator", HoursLater: 3, Body: `Very normal. I did the same for a year. Al-Anon helped me see that her recovery was hers, and my eggshells were mine to put down.`},
			{Author: "coach", HoursLater: 10, Helpful: true, Body: `It is normal, and it is also not sustainable. You cannot protect her from every trigger, and she does not need you to.

A few ideas:

- **Ask her.** "Is it helpful if I do not drink at home for now?" Many people in early sobriety appreciate an alcohol-free home; others do not mind. Decide together rather than guessing.
- **Find your own support.** Al-Anon, a therapist, or a friend you can be honest with.
- **Talk about the future, not only the risk.** What do you both want from the next months?

Forty days is early. It gets lighter for both of you.`},
		},
	},
	{
		Key: "alcohol-withdrawal-safety", Author: "spouse", DaysAgo: 48,
		Title: "She wants to stop drinking on her own this weekend. Is that safe?",
		Tags:  []string{"alcohol", "treatment"}, ContentNote: "mentions seizures",
		Body: `A friend's husband drinks about a bottle of wine and some vodka every day. He says he will "just stop cold turkey" this weekend. She asked me and I did not know what to tell her.`,
		Replies: []Reply{
			{Author: "doctor", HoursLater: 2, Helpful: true, Body: `Please pass this on quickly: **stopping heavy daily drinking suddenly can be dangerous.** Alcohol withdrawal can cause seizures and, rarely, a life-threatening condition called delirium tremens.

Someone drinking that amount every day should talk to a doctor **before** stopping. Withdrawal can be managed safely with medical support, sometimes at home with medication and check-ins, sometimes in a detox unit.

Signs that need emergency care: confusion, seeing or hearing things, a seizure, a racing heart with fever. In that case call 911.

His wish to stop is wonderful. He just should not do it alone.`},
		},
		PublishedBy: "doctor",
	},
	{
		Key: "teen-vaping-cannabis", Author: "parent", DaysAgo: 45,
		Title: "Our 16-year-old is vaping cannabis every day. How strict should we be?",
		Tags:  []string{"teens-and-young-adults", "boundaries", "motivational-interviewing"},
		Body:  `Our youngest is 16. We found several THC vape pens. Her grades have dropped and she sleeps all afternoon. My husband wants to take her phone and door away. I worry we will push her away. What works with teenagers?`,
		Replies: []Reply{
			{Author: "coach", HoursLater: 7, Body: `Both of your instincts have something right: teens need clear limits, and they need to feel connected.

Some things that work better than big punishments:

- Clear, few house rules with consequences you will actually follow through, agreed by both parents.
- Curiosity about what the vaping does *for* her: sleep, anxiety, friends? That tells you what to help with.
- Rewarding the good stretches: time together, privileges earned back.
- An assessment with an adolescent counselor, who can also check for anxiety or depression.

Try asking: "On a scale of 1 to 10, how much do you want to cut down?" and then "Why not a lower number?" You will hear her reasons, not yours.`},
		},
	},
	{
		Key: "dbt-skills-family", Author: "sibling", DaysAgo: 42,
		Title: "Which DBT skills help family members the most?",
		Tags:  []string{"dbt", "self-care"},
		Body:  `My brother's therapist uses DBT and suggested our family learn some of the skills. There are so many. Where should a sister start?`,
		Replies: []Reply{
			{Author: "coach", HoursLater: 12, Helpful: true, Body: `Lovely that his therapist invited the family in. Three skills give families the most for the least:

1. **Validation.** Saying "that makes sense, given how tired you are" does not mean agreeing with using. It lowers the temperature so the real conversation can happen.
2. **Distress tolerance (TIPP, self-soothing).** For the 2 a.m. moments when you want to call him ten times.
3. **DEAR MAN.** A simple structure for asking for something: Describe, Express, Assert, Reinforce, stay Mindful, Appear confident, Negotiate.

Start with validation for two weeks. Notice what changes.`},
		},
	},
	{
		Key: "al-anon-worth-it", Author: "spouse", DaysAgo: 40,
		Title: "Is Al-Anon worth it if I am not religious?",
		Tags:  []string{"12-step", "self-care", "alcohol"},
		Body:  `Everyone tells me to go to Al-Anon. I went once and the Higher Power talk put me off. Are there other options, or did I just go to the wrong meeting?`,
		Replies: []Reply{
			{Author: "moderator", HoursLater: 5, Body: `Meetings differ a lot. I tried four before I found one that felt like home, and it is full of people who are not religious. Also look at SMART Recovery Family & Friends, which is secular and uses CRAFT ideas.`},
			{Author: "coach", HoursLater: 14, Helpful: true, Body: `Many non-religious people find Al-Anon useful; "Higher Power" can mean the group itself. But it is fine if it is not for you.

Alternatives families like:

- **SMART Recovery Family & Friends**, built on CRAFT, secular.
- **CRAFT-based groups** run by counselors.
- A therapist who works with families affected by addiction.

The best support is the one you will actually keep going to.`},
		},
	},
	{
		Key: "boundaries-money", Author: "parent", DaysAgo: 38,
		Title: "He keeps asking for money for rent. How do I say no without abandoning him?",
		Tags:  []string{"boundaries", "craft"},
		Body:  `Every week there is a new emergency: rent, phone bill, car repair. I think some of it goes to drugs. But if I say no and he ends up on the street, I would never forgive myself.`,
		Replies: []Reply{
			{Author: "coach", HoursLater: 6, Helpful: true, Body: `This is one of the hardest places for a parent. A boundary here does not have to mean "nothing at all".

Options families use:

- **Pay bills directly** (landlord, phone company) instead of giving cash.
- **Offer things, not money:** groceries, a bus pass, a meal together.
- **Be clear and calm:** "I will not give cash anymore. I will pay your rent directly this month, and I will always pay for treatment."

Decide your line ahead of time, when you are calm, so you are not deciding in the middle of an emergency call. And it is OK to say "Let me think about it and call you back."`},
			{Author: "sibling", HoursLater: 20, Body: `We switched to paying his phone bill directly. Fewer "emergencies" almost immediately.`},
		},
		PublishedBy: "coach",
	},
	{
		Key: "balm-program-experience", Author: "moderator", Kind: model.KindDiscussion, DaysAgo: 35,
		Title: "Has anyone done the BALM program? What did you think?",
		Tags:  []string{"balm", "self-care", "craft"},
		Body:  `I finished the BALM (Be A Loving Mirror) course last spring. I would love to hear how others found it, especially the parts about your own well-being first.`,
		Replies: []Reply{
			{Author: "parent", HoursLater: 10, Body: `I am halfway through. The idea of "reflecting" my son's good moments back to him changed the tone at home.`},
			{Author: "spouse", HoursLater: 28, Body: `Not yet, but it is on my list after reading this.`},
		},
	},
	{
		Key: "fentanyl-test-strips", Author: "sibling", Anonymous: true, DaysAgo: 33,
		Title: "Is it wrong to give my brother fentanyl test strips?",
		Tags:  []string{"harm-reduction", "naloxone"}, ContentNote: "mentions drug use",
		Body: `Part of me feels like giving him test strips means I am OK with him using. Another part of me just wants him alive. How do other families think about this?`,
		Replies: []Reply{
			{Author: "doctor", HoursLater: 9, Body: `Harm reduction means meeting people where they are, to keep them alive until they are ready for more. Test strips, naloxone and "never use alone" are ways to do that.

Giving him test strips says "I want you alive," not "I approve." Many families pair it with a clear message: "I hope you will get treatment, and when you are ready I will help you find it."

Check your local laws, as some places restrict test strips, though most US states now allow them.`},
		},
	},
	{
		Key: "recovery-coach-what-do", Author: "parent", DaysAgo: 30,
		Title: "What does a recovery coach actually do?",
		Tags:  []string{"recovery-coaching", "treatment"},
		Body:  `His counselor suggested a peer recovery coach. I do not understand how that is different from therapy, and whether insurance pays for it.`,
		Replies: []Reply{
			{Author: "coach", HoursLater: 11, Helpful: true, Body: `Good question. A peer recovery coach is someone with lived experience of recovery who is trained to support people in early recovery. They are not therapists.

They help with practical things: going to a first meeting together, finding housing or a job, texting on a hard night, connecting to services. The shared experience builds trust quickly.

Many states cover peer support through Medicaid, and some treatment programs include it. Ask the program and your insurer "do you cover peer recovery support services?"`},
		},
	},
	{
		Key: "mi-open-questions", Author: "spouse", DaysAgo: 27,
		Title: "Motivational interviewing: examples of open questions to use at home?",
		Tags:  []string{"motivational-interviewing", "alcohol"},
		Body:  `Our counselor mentioned motivational interviewing. I get the idea but in the moment I freeze. Can someone share examples of questions that actually work?`,
		Replies: []Reply{
			{Author: "coach", HoursLater: 4, Body: `Here are a few that families tell me open doors:

- "What do you like about drinking? What do you not like so much?"
- "How would you like things to be a year from now?"
- "What has worked for you before, when things were hard?"
- "On a scale of 0 to 10, how important is it to you to cut down?" then "Why not a lower number?"

Then listen, and reflect back what you heard: "So you like how it helps you unwind, and you hate the mornings." Resist the urge to add "so you should stop". Let her say it.`},
		},
	},
	{
		Key: "drug-court-how-works", Author: "sibling", DaysAgo: 24,
		Title: "Drug court: how does it work and can families attend?",
		Tags:  []string{"probation", "treatment"},
		Body:  `My brother's lawyer says he may be eligible for drug court instead of jail. What is it like? Can I go with him?`,
		Replies: []Reply{
			{Author: "moderator", HoursLater: 15, Body: `My son went through drug court. Regular hearings, drug tests, treatment, and a judge who actually knows his name. Families could sit in the back; I went every time I could.`},
			{Author: "doctor", HoursLater: 30, Body: `Drug courts combine supervision with treatment and have reasonable evidence behind them. One thing to ask: does the court allow medication for opioid use disorder? Most do now, and it matters.`},
		},
	},
	{
		Key: "self-care-cant-sleep", Author: "parent", Anonymous: true, DaysAgo: 21,
		Title: "I cannot sleep. I check my phone all night in case he calls.",
		Tags:  []string{"self-care"},
		Body:  `I have not slept through the night in months. I keep the phone on the pillow. My doctor asked if I am depressed and I cried in her office. How do you all cope?`,
		Replies: []Reply{
			{Author: "moderator", HoursLater: 2, Body: `I am so sorry. I was there. What helped me: one trusted person who agreed to be the one to call me if something happened, so I could put my phone on "do not disturb" with an exception. It took weeks to trust it.`},
			{Author: "spouse", HoursLater: 6, Body: `Please keep talking to your doctor. Looking after yourself is not selfish; it is how you keep going.`},
			{Author: "coach", HoursLater: 9, Body: `Your body has been on alert for months. That is exhausting, and what you describe deserves real care: please follow up with your doctor.

Small things that help families: a set "phone-free" hour before bed, a written plan for what you would do if the call comes (so your brain can stop rehearsing it), and one thing each day that is only for you.

You matter in this story too.`},
		},
	},
	{
		Key: "naltrexone-alcohol", Author: "spouse", DaysAgo: 18,
		Title: "Are there medications for alcohol cravings?",
		Tags:  []string{"mat", "alcohol"},
		Body:  `My wife's cravings are strongest in the evenings. Someone at her meeting mentioned a medication. Is there something a doctor could prescribe?`,
		Replies: []Reply{
			{Author: "doctor", HoursLater: 8, Body: `Yes. Several medications are approved for alcohol use disorder and are underused: **naltrexone** (a daily pill or monthly injection), **acamprosate**, and **disulfiram**. Some doctors also use others off-label.

Naltrexone in particular can reduce cravings and heavy drinking days. It is not suitable for everyone (for example, people who need opioid pain medication), so she should talk with her doctor, who can go over the options. It works best alongside the support she is already getting.`},
		},
	},
	{
		Key: "article-craft-basics", Kind: model.KindArticle, Author: "coach", DaysAgo: 60,
		Title: "CRAFT in five minutes: what families can start doing this week",
		Tags:  []string{"craft", "boundaries", "self-care"},
		Body: `CRAFT (Community Reinforcement and Family Training) is one of the few approaches studied specifically for families. In studies, about two in three families using it saw their loved one enter treatment.

### The core ideas

1. **Understand the pattern.** When, where and with whom does using happen? What does it do for them?
2. **Reward sober moments.** Spend time, affection and attention when they are not using.
3. **Let natural consequences happen.** Stop cushioning the fallout of use (calling in sick for them, cleaning up).
4. **Communicate positively.** Short, specific, "I" statements, at calm times.
5. **Look after yourself.** Your well-being is part of the plan, not an afterthought.
6. **Be ready.** When a window opens, have treatment options lined up.

### This week

- Write down one situation that usually ends in a fight, and plan a different first sentence.
- Plan one enjoyable, substance-free thing to do together.
- Do one thing for yourself.

Ask questions below; I read every comment.`,
		Replies: []Reply{
			{Author: "parent", HoursLater: 20, Body: `"Reward sober moments" was new to me. I had been so focused on the bad moments that I forgot to notice the good ones.`},
			{Author: "sibling", HoursLater: 40, Body: `Saving this. Thank you.`},
		},
	},
	{
		Key: "article-mat-myths", Kind: model.KindArticle, Author: "doctor", DaysAgo: 50,
		Title: "Five myths about medication for opioid use disorder",
		Tags:  []string{"mat", "treatment"},
		Body: `Families often hear conflicting things about MAT (also called MOUD). Here are the myths I hear most in clinic.

**"It is just replacing one addiction with another."** At a stable dose, buprenorphine and methadone do not produce a high; they stop withdrawal and cravings so life can restart.

**"You should get off it as soon as possible."** Stopping early is linked to relapse and overdose. Many people do best staying on medication for a long time.

**"It is not real recovery."** Recovery is about health, relationships, purpose. Medication supports all three.

**"Naloxone and MAT are the same."** Naloxone reverses an overdose in an emergency. MAT is ongoing treatment.

**"You cannot get it quickly."** Many clinics, emergency departments and telehealth services now start buprenorphine the same day. https://findtreatment.gov lists programs.`,
		Replies: []Reply{
			{Author: "spouse", HoursLater: 15, Body: `Sharing this with my in-laws. Thank you, doctor.`},
		},
	},
	{
		Key: "sibling-resentment", Author: "sibling", DaysAgo: 15,
		Title: "I resent my brother and then I feel guilty for resenting him",
		Tags:  []string{"self-care", "boundaries"},
		Body:  `My parents put everything into him. Missed my graduation for a court date. I love him. I am also furious. Is it normal to feel both?`,
		Replies: []Reply{
			{Author: "parent", HoursLater: 5, Body: `As a mom, reading this hurts, because my daughter might feel this way too. Thank you for saying it. I am going to ask her tonight.`},
			{Author: "coach", HoursLater: 12, Body: `Completely normal. Siblings are often the forgotten family members. Love and anger can live side by side; naming both is healthy.

It may help to tell your parents, calmly, what you need from them: "I need you at my things too." And find support that is just for you: sibling groups exist, and so does therapy.`},
		},
	},
	{
		Key: "holiday-gatherings", Author: "parent", Kind: model.KindDiscussion, DaysAgo: 10,
		Title: "Planning the holidays when someone in the family is using",
		Tags:  []string{"boundaries", "self-care", "relapse"},
		Body:  `The holidays are coming and I am already anxious. Last year ended with a shouting match at the table. What plans have worked for your families? Alcohol-free gatherings, shorter visits, a code word?`,
		Replies: []Reply{
			{Author: "spouse", HoursLater: 4, Body: `We do an afternoon brunch now instead of the evening dinner. Less drinking for everyone, and my wife can leave early without anyone noticing.`},
			{Author: "moderator", HoursLater: 8, Body: `We agreed in advance: if anyone arrives high or drunk, they are welcome to a plate to take home, not to stay. Saying it ahead of time made it much calmer.`},
			{Author: "sibling", Anonymous: true, HoursLater: 14, Body: `Last year I left before dessert and cried in the car. This year I am coming in my own car, with an exit line ready: "I have an early morning." Knowing I can leave makes it easier to stay. (Posting anonymously: some of my family read here too.)`},
		},
	},
	{
		Key: "son-refuses-everything", Author: "parent", DaysAgo: 7,
		Title: "He refuses any help. Is there anything left we can do?",
		Tags:  []string{"craft", "treatment"},
		Body:  `Counseling, IOP, a doctor, a coach: he says no to all of it. He is 19 so we cannot force him. Do we just wait for him to hit bottom?`,
		Replies: []Reply{
			{Author: "sibling", HoursLater: 6, Body: `I hated the "rock bottom" advice. For my brother the bottom kept moving. Watching this thread.`},
		},
	},
	{
		Key: "buprenorphine-side-effects", Author: "sibling", DaysAgo: 5,
		Title: "My brother started buprenorphine and seems tired all the time",
		Tags:  []string{"mat"},
		Body:  `He started Suboxone through a telehealth clinic last week. He is sleeping a lot and a bit foggy. Is that normal at the start, or should he call the clinic?`,
		Replies: []Reply{
			{Author: "parent", HoursLater: 3, Body: `My son was tired the first couple of weeks too, but I do not know if that is typical.`},
		},
	},
	{
		Key: "wife-hides-bottles", Author: "spouse", Anonymous: true, DaysAgo: 4,
		Title: "I found hidden bottles. Do I confront her or wait?",
		Tags:  []string{"alcohol", "relapse", "motivational-interviewing"},
		Body:  `Three empty bottles in the garage, behind the paint cans. She has been telling everyone she is 90 days sober. I do not know whether to say something tonight or wait until I have calmed down.`,
	},
	{
		Key: "twelve-step-for-him", Author: "parent", DaysAgo: 3,
		Title: "Should we push him toward NA meetings?",
		Tags:  []string{"12-step", "recovery-coaching"},
		Body:  `His counselor says NA could help. He went once and said it was "depressing". Should we encourage him to try other meetings, or look at something else entirely?`,
	},
	{
		Key: "college-and-drinking", Author: "parent", DaysAgo: 2,
		Title: "Our daughter is starting college after a rough senior year. How do we prepare?",
		Tags:  []string{"teens-and-young-adults", "alcohol", "boundaries"},
		Body:  `She had two alcohol-related ER visits last year. She is doing better, but college is a month away and three hours from home. What should we put in place before she goes? Collegiate recovery programs? A plan with her?`,
	},
	{
		Key: "po-drug-test-positive", Author: "sibling", DaysAgo: 1,
		Title: "He tested positive at probation. What happens next?",
		Tags:  []string{"probation", "relapse"},
		Body:  `His PO called my parents because he listed them as contacts. He tested positive for fentanyl. Everyone is panicking. Does that mean jail? What can we do this week?`,
	},
	{
		Key: "dbt-validation-practice", Author: "spouse", DaysAgo: 1,
		Title: "Validation feels fake when I say it. Tips?",
		Tags:  []string{"dbt", "balm"},
		Body:  `I am practising DBT validation with my wife. When I say "that makes sense" it sounds like a script and she notices. How do you make it sound like you?`,
		Replies: []Reply{
			{Author: "sibling", HoursLater: 5, Body: `I had the same problem. I started just repeating back the feeling word she used ("exhausted, yeah") instead of the full sentence. It felt more natural.`},
		},
	},
}
