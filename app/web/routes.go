package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/ratelimit"
)

// routes is the one table of every route: method, path, handler, and who may call it.
// Handlers ask app/policy; the notes here say what they decide.
func (s *Server) routes() {
	e := s.echo
	s.middleware()

	// Operations: anyone. Metrics are not here: ServeMetrics serves them on their own address.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*", s.staticFile)
	e.GET("/favicon.ico", s.favicon)

	// Pages that read the forum: members see everything; visitors see what the forum is.
	e.GET("/", s.home)                                                              // visitors: what the community is; pending: welcome
	e.GET("/t/:id", s.thread)                                                       // policy.CanView
	e.GET("/t/:id/:slug", s.thread)                                                 // policy.CanView
	e.GET("/u/:name", s.profile)                                                    // policy.CanViewProfile
	e.GET("/search", s.searchPage, s.rateLimit("search", 200*time.Millisecond, 30)) // anyone; visitors see the public archive
	e.GET("/archive.atom", s.archiveFeed)                                           // anyone: published threads only
	e.GET("/crisis", s.crisis)                                                      // anyone
	e.GET("/unanswered", s.unanswered)                                              // members
	e.GET("/mine", s.mine)                                                          // members
	e.GET("/tags", s.tagIndex)                                                      // members
	e.GET("/tags/:slug", s.tagPage)                                                 // members

	// Live updates (Server-Sent Events): what changes on an open page. Opening a stream is
	// limited per address as pages are; the streams are bounded per member and in total.
	liveOpening := s.rateLimit("live", 500*time.Millisecond, 40)
	e.GET("/live/thread/:id", s.liveThread, liveOpening) // policy.CanView
	e.GET("/live/me", s.liveMe, liveOpening)             // members

	// Writing: members; each operation asks app/policy again.
	posting := s.rateLimit("posting", 2*time.Second, 20)
	e.GET("/ask", s.ask)                        // policy.CanAsk
	e.POST("/ask", s.askSubmit, posting)        // policy.CanAsk (articles: CanWriteArticle)
	e.POST("/t/:id/reply", s.reply, posting)    // policy.CanReply
	e.POST("/t/:id/helpful", s.threadHelpful)   // policy.CanMarkReplyHelpful, CanMarkHelpful
	e.POST("/t/:id/related", s.threadLink)      // policy.CanLinkThreads
	e.POST("/t/:id/consent", s.threadConsent)   // policy.CanSetPublishConsent
	e.POST("/t/:id/publish", s.threadPublish)   // policy.CanPublish, CanUnpublish
	e.GET("/ask/similar", s.similar)            // members
	e.POST("/t/:id/moderate", s.threadModerate) // policy.CanModerate
	e.POST("/t/:id/topics", s.threadTopics)     // policy.CanMoveThread
	e.POST("/t/:id/merge", s.threadMerge)       // policy.CanMergeThread
	e.GET("/p/:id/edit", s.postEditForm)        // policy.CanEditPost
	e.POST("/p/:id/edit", s.postEdit, posting)  // policy.CanEditPost
	e.GET("/p/:id/history", s.postHistory)      // policy.CanViewHistory
	e.POST("/p/:id/delete", s.postDelete)       // policy.CanDeletePost
	e.POST("/p/:id/moderate", s.postModerate)   // policy.CanModerate
	e.GET("/p/:id", s.postLink)                 // policy.CanView
	e.GET("/held", s.heldPage)                  // members: their own posts held for review
	e.POST("/tags", s.tagCreate)                // policy.CanManageTags
	e.POST("/tags/:slug", s.tagUpdate)          // policy.CanManageTags
	e.POST("/tags/:slug/merge", s.tagMerge)     // policy.CanManageTags

	// Following and notifications.
	e.GET("/notifications", s.notifications)                                                         // policy.CanReadNotices
	e.POST("/notifications/read", s.notificationsReadAll)                                            // policy.CanReadNotices
	e.POST("/notifications/:id/read", s.notificationRead)                                            // policy.CanReadNotices; own only
	e.GET("/following", s.following)                                                                 // policy.CanFollowTopic
	e.POST("/t/:id/follow", s.threadFollow)                                                          // policy.CanFollowThread
	e.POST("/tags/:slug/follow", s.tagFollow)                                                        // policy.CanFollowTopic
	e.GET("/members/complete", s.membersComplete, s.rateLimit("complete", 200*time.Millisecond, 30)) // policy.CanCompleteNames

	// Autosave and preview. The forms save a draft every 1.5 to 2 seconds of typing and ask
	// for a preview half a second after typing stops (views/pages/ask.html,
	// views/partials/reply.html): people typing, even a few behind one address, stay far
	// below these limits.
	drafting := s.rateLimit("drafting", 500*time.Millisecond, 20)
	previewing := s.rateLimit("previewing", 400*time.Millisecond, 20)
	e.POST("/ask/draft", s.askDraft, drafting)           // members
	e.POST("/t/:id/reply/draft", s.replyDraft, drafting) // policy.CanReply
	e.POST("/preview", s.preview, previewing)            // members
	e.POST("/danger", s.dangerCheck, previewing)         // members: the crisis box as words are typed

	// Signing in and out.
	signIn := s.rateLimit("sign-in", 3*time.Second, 10)
	e.GET("/login", s.login)                                  // anyone
	e.GET("/auth/:provider", s.authBegin, signIn)             // anyone
	e.GET("/auth/:provider/callback", s.authCallback, signIn) // anyone; the state is checked
	e.POST("/logout", s.logout)                               // signed in
	e.GET("/join/:code", s.joinPage)                          // anyone: what the invite offers, changes nothing
	e.POST("/join/:code", s.join)                             // anyone; policy.CanJoinWithInvite
	e.GET("/dev/login", s.devLoginPage)                       // --dev only
	e.POST("/dev/login", s.devLogin, signIn)                  // --dev only
	e.GET("/dev/mail", s.devMail)                             // --dev only: what would have been e-mailed
	e.GET("/welcome", s.welcome)                              // pending
	e.POST("/welcome/reason", s.welcomeReason)                // policy.CanSayWhyJoining
	e.GET("/welcome/name", s.chooseNameForm)                  // signed in
	e.POST("/welcome/name", s.chooseName)                     // signed in

	// E-mail: the links in every message. The signed token decides, not a session: mail
	// clients post without one (RFC 8058), so the POST takes no CSRF token either.
	e.GET("/unsubscribe/:token", s.unsubscribePage) // anyone: shows what the token stops, changes nothing
	e.POST("/unsubscribe/:token", s.unsubscribe)    // anyone holding a valid token

	// The member's own account.
	e.GET("/account", s.account)                                   // signed in
	e.POST("/account/pseudonym", s.accountPseudonym)               // signed in
	e.POST("/account/bio", s.accountBio)                           // signed in
	e.POST("/account/discreet", s.accountDiscreet)                 // signed in
	e.POST("/account/notifications", s.accountNotifications)       // policy.CanChooseEmail
	e.POST("/account/sessions/:id/revoke", s.accountRevokeSession) // signed in, own sessions
	e.GET("/account/export", s.accountExport)                      // signed in
	e.POST("/account/delete", s.accountDelete)                     // signed in
	e.GET("/account/deleted", s.accountDeleted)                    // anyone: says goodbye, shows nothing of an account

	// Moderation and administration.
	e.GET("/mod/members", s.modMembers)                      // policy.CanApproveMembers
	e.POST("/mod/members/:id/decide", s.modDecide)           // policy.CanApproveMembers
	e.POST("/mod/members/:id/suspend", s.modSuspend)         // policy.CanSuspend (and reinstate)
	e.GET("/mod/audit", s.modAudit)                          // policy.CanSeeAuditLog; filters by moderator, member, action, dates
	e.GET("/mod/queue", s.modQueue)                          // policy.CanReviewPosts
	e.POST("/mod/queue/:id", s.modQueueDecide)               // policy.CanReviewPosts, CanDecideHeldPost
	e.GET("/admin/invites", s.adminInvites)                  // policy.CanManageInvites
	e.POST("/admin/invites", s.adminCreateInvite)            // policy.CanManageInvites
	e.POST("/admin/invites/:id/revoke", s.adminRevokeInvite) // policy.CanManageInvites
	e.GET("/admin/users", s.adminUsers)                      // policy.CanManageRoles
	e.POST("/admin/users/:id/role", s.adminSetRole)          // policy.CanSetRole

	// Reports, warnings and confirmations. Reporting is limited per member in the
	// operation (policy.FlagsPerHour), so that one member cannot flag everything.
	e.GET("/p/:id/flag", s.flagPage)            // policy.CanFlag; a post the member cannot read is not found
	e.POST("/p/:id/flag", s.flagSubmit)         // policy.CanFlag, policy.MayFlagMore; a second report changes nothing
	e.GET("/p/:id/delete", s.postDeleteConfirm) // policy.CanDeletePost: the confirm step without JavaScript
	e.POST("/warnings/:id/ack", s.warningAck)   // signed in, own warnings only
	e.GET("/mod/flags", s.modFlags)             // policy.CanHandleFlags
	e.POST("/mod/flags/:id", s.modFlagAct)      // policy.CanHandleFlags (and CanWarn, CanSuspend, CanModeratorEdit)

	e.RouteNotFound(notFoundRoute, func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
}

// rateLimit allows each client address a burst of requests, refilled one every every,
// under a budget named name: the same budget on every node (ratelimit.New).
func (s *Server) rateLimit(name string, every time.Duration, burst int) echo.MiddlewareFunc {
	if s.noRateLimits {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	rule := ratelimit.Rule{Name: name, Every: every, Burst: burst}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !s.limits.Allow(c.Request().Context(), rule, c.RealIP()) {
				return echo.NewHTTPError(http.StatusTooManyRequests)
			}
			return next(c)
		}
	}
}
