// Package mail e-mails members their notifications: at once, or in a daily digest, as
// each member chose per kind. It composes discreet messages (views/mail), queues them in
// the database the forum already uses (River, on SQLite or PostgreSQL), sends them through
// SMTP with retries and backoff, and never sends one twice on purpose: see Mailer.
//
// The privacy rules: a message names the forum and the kind of event with a link; it
// names no person and quotes nobody's words; the thread's title only for a member who
// opted in. Whether the member may read what the message is about is checked again just
// before it leaves (policy.CanEmail). Every message carries a one-click unsubscribe link
// (RFC 8058) with a signed token that works without signing in.
package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"forum/app/config"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
	"forum/views"
)

// The queue's name, and how e-mail work is spread and retried.
const (
	queueName = "mail"
	// digestHour is the hour (UTC) from which a day's digests go out.
	digestHour = 7
	// digestWindow bounds how old a notification a digest tells of: older ones are stale news.
	digestWindow = 7 * 24 * time.Hour
	// recordsKept is how long the record of a sent message is kept. It must outlast every
	// retry of its job (River gives up after 25 attempts, about three weeks).
	recordsKept = 45 * 24 * time.Hour
)

// Options are a Mailer's dependencies.
type Options struct {
	Store  *store.Store
	Config *config.Config // the database, the base URL, the session secret, the sender's address
	// Sender delivers messages: an SMTP server (NewSMTP), or the development mailbox.
	Sender   Sender
	SiteName string
	Logger   *slog.Logger
	Tuning   Tuning
}

// Tuning holds the numbers of the queue; the zero value is production's.
type Tuning struct {
	// Workers is how many messages are sent at once on this node (default 8).
	Workers int
	// PollInterval is how often the queue looks for new work (default 1s).
	PollInterval time.Duration
	// JobTimeout bounds one attempt at sending (default 1 minute), and RescueAfter is when
	// a job still marked running, because its node died, is run again (default 5 minutes).
	JobTimeout, RescueAfter time.Duration
	// RetryDelay, when set, is the wait before each retry instead of River's backoff
	// (attempt to the fourth power, in seconds: 1s, 16s, 81s, ... about three weeks in all).
	RetryDelay time.Duration
	// Now is the clock of digests (default time.Now).
	Now func() time.Time
	// ID names this node's queue client (default: random).
	ID string
	// TestOnly starts the queue's maintenance at once instead of after a random delay.
	TestOnly bool
}

// Mailer queues and sends the forum's e-mail. Enqueue queues a notification's message in
// the transaction that created the notification; Run works the queue until its context
// ends.
//
// Exactly once: River runs every job at least once, so the worker makes a second run
// harmless. Before sending it looks in mail_sent for the message's key; right after the
// SMTP server accepted the message, it writes that key and completes the job in one
// transaction. A second run finds the key and sends nothing, on any node, after any
// crash. One window remains: a crash (or a database unreachable for half a minute)
// between the server's acceptance and that commit, a few milliseconds, sends the message
// again when the job is retried, with the same Message-ID.
type Mailer struct {
	store    *store.Store
	driver   string
	pool     *sql.DB
	client   *river.Client[*sql.Tx]
	sender   Sender
	composer *composer
	log      *slog.Logger
	now      func() time.Time
}

// notificationArgs is the job of e-mailing one notification at once.
type notificationArgs struct {
	NotificationID int64 `json:"notification_id"`
}

func (notificationArgs) Kind() string { return "mail_notification" }

func (notificationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// digestArgs is the job of e-mailing a member's digest of one day (UTC, 2006-01-02).
type digestArgs struct {
	UserID int64  `json:"user_id"`
	Day    string `json:"day"`
}

func (digestArgs) Kind() string { return "mail_digest" }

func (digestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// sweepArgs is the hourly job that queues the day's digests and prunes old records.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "mail_sweep" }

func (sweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueName, MaxAttempts: 3}
}

// New returns a Mailer sending through o.Sender. It opens the queue's own connections to
// the database (one on SQLite, which River works best with) and closes them in Close.
func New(o Options) (*Mailer, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	now := o.Tuning.Now
	if now == nil {
		now = time.Now
	}
	composer, err := newComposer(o.SiteName, o.Config.BaseURL, NewTokens(o.Config.SessionSecret, now), views.MailFS(), now)
	if err != nil {
		return nil, err
	}
	pool, err := openPool(o.Config.Driver, o.Config.DatabaseDSN)
	if err != nil {
		return nil, err
	}
	m := &Mailer{store: o.Store, driver: o.Config.Driver, pool: pool, sender: o.Sender, composer: composer,
		log: o.Logger.With("component", "mail"), now: now}

	t := o.Tuning
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[notificationArgs]) error {
		return m.sendNotification(ctx, job.Args.NotificationID, func(ctx context.Context, tx *sql.Tx) error {
			return completeJob(ctx, m.driver, tx, job)
		})
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[digestArgs]) error {
		return m.sendDigest(ctx, job.Args.UserID, job.Args.Day, func(ctx context.Context, tx *sql.Tx) error {
			return completeJob(ctx, m.driver, tx, job)
		})
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[sweepArgs]) error {
		return m.sweep(ctx)
	}))
	cfg := &river.Config{
		ID:                   t.ID,
		Queues:               map[string]river.QueueConfig{queueName: {MaxWorkers: orInt(t.Workers, 8)}},
		Workers:              workers,
		FetchPollInterval:    orDuration(t.PollInterval, time.Second),
		FetchCooldown:        min(orDuration(t.PollInterval, time.Second), 25*time.Millisecond),
		JobTimeout:           orDuration(t.JobTimeout, time.Minute),
		RescueStuckJobsAfter: orDuration(t.RescueAfter, 5*time.Minute),
		SoftStopTimeout:      20 * time.Second,
		Logger:               slog.New(quiet{m.log.Handler()}),
		TestOnly:             t.TestOnly,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "mail_sweep", RunOnStart: true})},
	}
	if t.RetryDelay > 0 {
		cfg.RetryPolicy = fixedRetry(t.RetryDelay)
	}
	if m.client, err = river.NewClient(riverDriver(m.driver, pool), cfg); err != nil {
		pool.Close()
		return nil, fmt.Errorf("e-mail queue: %w", err)
	}
	return m, nil
}

// Enqueue queues the e-mail of notification n in tx, the transaction that wrote it: the
// message is queued if and only if the notification is committed. Whether it is still
// wanted, and allowed, is decided when it is sent. It implements notify.Mailer. A nil
// Mailer (e-mail is off) queues nothing.
func (m *Mailer) Enqueue(ctx context.Context, tx *store.Tx, n *model.Notification) error {
	if m == nil {
		return nil
	}
	if n == nil || n.ID == 0 {
		return errors.New("queue e-mail: the notification has no id yet")
	}
	if _, err := m.client.InsertTx(ctx, tx.SQLTx(), notificationArgs{NotificationID: n.ID}, nil); err != nil {
		return fmt.Errorf("queue e-mail of notification %d: %w", n.ID, err)
	}
	return nil
}

// Run works the queue until ctx ends, then lets the messages being sent finish (up to
// 20 seconds) and returns. It runs in the server's background group, which waits for it
// before the database closes.
func (m *Mailer) Run(ctx context.Context) {
	if err := m.client.Start(context.WithoutCancel(ctx)); err != nil {
		m.log.Error("the e-mail queue did not start", "err", err)
		return
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := m.client.Stop(stopCtx); err != nil {
		m.log.Warn("the e-mail queue stopped before its work finished", "err", err)
	}
}

// Close closes the queue's connections to the database, after Run has returned.
func (m *Mailer) Close() error { return m.pool.Close() }

// sendNotification e-mails notification id at once, unless it was sent already, is gone,
// is no longer wanted at once, was read meanwhile, or is about what its recipient may no
// longer read. complete completes the job in the transaction that records the message.
func (m *Mailer) sendNotification(ctx context.Context, id int64, complete func(context.Context, *sql.Tx) error) error {
	key := notificationKey(id)
	if done, err := m.sent(ctx, key); done || err != nil {
		return err
	}
	it, err := m.store.MailItemByNotification(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		m.log.Debug("e-mail not sent: the notification is gone", "notification", id)
		return nil
	}
	if err != nil {
		return err
	}
	n := it.Notification
	switch {
	case it.Delivery != model.DeliveryNow:
		m.log.Debug("e-mail not sent: the member no longer wants it at once", "notification", id)
		return nil
	case n.ReadAt != nil:
		m.log.Debug("e-mail not sent: the member has read the notification", "notification", id)
		return nil
	case !policy.CanEmail(it.Recipient, n.Kind, it.Thread, it.Post):
		m.log.Info("e-mail not sent: the member may not read what it is about now", "notification", id)
		return nil
	}
	msg, err := m.composer.Notification(it)
	if err != nil {
		return err
	}
	answer, err := m.sender.Send(ctx, msg)
	if err != nil {
		return fmt.Errorf("send the e-mail of notification %d: %w", id, err)
	}
	return m.record(ctx, &model.MailSent{Key: key, UserID: n.UserID, MessageID: msg.MessageID, Answer: answer}, complete)
}

// sendDigest e-mails member userID their digest of day: how many notifications of each
// kind they set to digest are waiting, unread, since their last digest.
func (m *Mailer) sendDigest(ctx context.Context, userID int64, day string, complete func(context.Context, *sql.Tx) error) error {
	key := digestKey(userID, day)
	if done, err := m.sent(ctx, key); done || err != nil {
		return err
	}
	u, err := m.store.UserByID(ctx, userID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !policy.Active(u) || u.Email == "" {
		return nil
	}
	items, err := m.store.DigestItems(ctx, userID, m.now().Add(-digestWindow), 1000)
	if err != nil {
		return err
	}
	var through int64
	var shown []*store.MailItem
	for _, it := range items {
		through = max(through, it.Notification.ID)
		if policy.CanEmail(u, it.Notification.Kind, it.Thread, it.Post) {
			shown = append(shown, it)
		}
	}
	if len(shown) == 0 {
		return nil
	}
	msg, err := m.composer.Digest(u, day, shown)
	if err != nil {
		return err
	}
	answer, err := m.sender.Send(ctx, msg)
	if err != nil {
		return fmt.Errorf("send the digest of member %d: %w", userID, err)
	}
	return m.record(ctx, &model.MailSent{Key: key, UserID: userID, MessageID: msg.MessageID, CoveredThrough: through, Answer: answer}, complete)
}

// sent reports whether the message of key was sent already.
func (m *Mailer) sent(ctx context.Context, key string) (bool, error) {
	_, err := m.store.MailSentByKey(ctx, key)
	switch {
	case err == nil:
		m.log.Info("e-mail not sent again: it was sent already", "key", key)
		return true, nil
	case errors.Is(err, model.ErrNotFound):
		return false, nil
	}
	return false, err
}

// record writes that the SMTP server accepted a message, and completes its job, in one
// transaction. The message has left: the record is written even while the server stops,
// and tried again a few times before the job is left to River's retry (which would send
// the message a second time).
func (m *Mailer) record(ctx context.Context, sent *model.MailSent, complete func(context.Context, *sql.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	if len(sent.Answer) > 500 {
		sent.Answer = sent.Answer[:500]
	}
	var err error
	for attempt := range 6 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 2 * time.Second)
		}
		sent.SentAt = m.now().UTC()
		var completeErr error
		err = m.store.Tx(ctx, func(tx *store.Tx) error {
			completeErr = nil
			if _, err := tx.InsertMailSent(ctx, sent); err != nil {
				return err
			}
			// A job that cannot be completed here (another node rescued it meanwhile) still
			// gets its record: its next run finds it and sends nothing.
			completeErr = complete(ctx, tx.SQLTx())
			return nil
		})
		if err == nil {
			if completeErr != nil {
				return fmt.Errorf("complete the job of sent e-mail %s: %w", sent.Key, completeErr)
			}
			return nil
		}
		m.log.Warn("the record of a sent e-mail could not be written yet", "key", sent.Key, "attempt", attempt+1, "err", err)
	}
	return fmt.Errorf("record sent e-mail %s: %w", sent.Key, err)
}

// sweep queues the digests due today, once the day's digest hour has come, and prunes
// the records of messages sent long ago.
func (m *Mailer) sweep(ctx context.Context) error {
	now := m.now().UTC()
	if n, err := m.store.PruneMail(ctx, now.Add(-recordsKept)); err != nil {
		m.log.Warn("old e-mail records were not pruned", "err", err)
	} else if n > 0 {
		m.log.Info("old e-mail records pruned", "rows", n)
	}
	if now.Hour() < digestHour {
		return nil
	}
	ids, err := m.store.DigestRecipients(ctx, now.Add(-digestWindow))
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	day := now.Format(time.DateOnly)
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: digestArgs{UserID: id, Day: day}}
	}
	if _, err := m.client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("queue digests: %w", err)
	}
	return nil
}

// Migrate creates or updates the job queue's tables (River's own migrations), after the
// forum's, under the same lock, so that nodes starting together take turns. It returns
// the versions applied.
func Migrate(ctx context.Context, st *store.Store, driver, dsn string) ([]string, error) {
	pool, err := openPool(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	migrator, err := rivermigrate.New(riverDriver(driver, pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("e-mail queue migrations: %w", err)
	}
	var applied []string
	err = st.WithMigrationLock(ctx, func(ctx context.Context) error {
		res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return fmt.Errorf("apply e-mail queue migrations: %w", err)
		}
		for _, v := range res.Versions {
			applied = append(applied, fmt.Sprintf("river_%03d_%s", v.Version, strings.ReplaceAll(v.Name, " ", "_")))
		}
		return nil
	})
	return applied, err
}

// openPool opens the queue's own connections to the forum's database. On SQLite it is one
// connection, with the forum's pragmas (the same DSN): River runs its maintenance
// concurrently, and one connection keeps it from meeting a busy database inside itself;
// the forum's own writers wait for it on the busy timeout like for one another.
func openPool(driver, dsn string) (*sql.DB, error) {
	switch driver {
	case config.DriverSQLite:
		// "sqlite" is modernc.org/sqlite, registered by app/store.
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("e-mail queue: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxIdleTime(0)
		return db, nil
	case config.DriverPostgres:
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("e-mail queue: %w", err)
		}
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(2)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return db, nil
	}
	return nil, fmt.Errorf("e-mail queue: unknown database driver %q", driver)
}

func riverDriver(driver string, pool *sql.DB) riverdriver.Driver[*sql.Tx] {
	if driver == config.DriverSQLite {
		return riversqlite.New(pool)
	}
	// Poll-only: database/sql cannot LISTEN. New jobs are found within PollInterval.
	return riverdatabasesql.New(pool)
}

// completeJob completes job in tx, the transaction that records its message.
func completeJob[T river.JobArgs](ctx context.Context, driver string, tx *sql.Tx, job *river.Job[T]) error {
	var err error
	if driver == config.DriverSQLite {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
	} else {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx, job)
	}
	return err
}

// fixedRetry retries a failed job after the same delay every time (tests).
type fixedRetry time.Duration

func (f fixedRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(f)) }

// quiet passes on River's warnings and errors, not its informational chatter.
type quiet struct{ slog.Handler }

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

func (q quiet) WithAttrs(a []slog.Attr) slog.Handler { return quiet{q.Handler.WithAttrs(a)} }
func (q quiet) WithGroup(n string) slog.Handler      { return quiet{q.Handler.WithGroup(n)} }

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
