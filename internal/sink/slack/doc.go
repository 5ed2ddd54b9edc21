// Package slack is the Slack sink: it posts digests of events to a Slack
// incoming webhook — error lines grouped, in Slack, as the classic
// Heroku-drain-to-Slack Lambda did.
//
// # Digests
//
// The subscription's batch max_age is the digest window (Config.Window,
// DefaultWindow; the runner applies it), so one Write is one window. Write
// groups the batch by the GroupBy template (internal/sink/tmpl, default
// "{severity} {host} {app} {proc}") and posts one message per group, the
// most severe groups first (then by earliest event). A message is one
// legacy attachment, for its colour bar:
//
//	{"icon_emoji":":x:","attachments":[{
//	  "fallback":":x: error host app web.1 (3 lines)",
//	  "color":"danger",
//	  "title":":x: error host app web.1 (3 lines)",
//	  "text":"```\n2026-11-20T10:00:02Z: PG::ConnectionBad ×2\n2026-11-20T10:00:05Z: timeout\n```",
//	  "mrkdwn_in":["text"]}]}
//
// In detail:
//
//   - The title is the icon, the group key (whitespace collapsed, at most
//     150 characters) and the number of events: "(1 line)", "(12 lines)".
//   - The text is a code block, so that log text shows as it is instead of
//     being read as mrkdwn (a "*" in a stack trace is not bold). One line per
//     distinct message, "TIMESTAMP: message", in time order; the timestamp
//     is the event time (the received time when unknown) in UTC to the
//     second; identical messages are collapsed into one line with the first
//     timestamp and " ×N". At most MaxLines lines, then "_… and N more_"
//     counting the events not shown.
//   - A message is cut to MaxLineLength characters, ending in "…"; line
//     breaks show as "⏎" (a line is one event), other control characters
//     as spaces, invalid UTF-8 as U+FFFD, and a zero-width space goes
//     between consecutive backticks so that a message cannot close the
//     code block.
//   - &, < and > are escaped as &amp; &lt; &gt; in every text field (title,
//     fallback, text), as Slack's formatting reference requires; nothing
//     else is entity-encoded. So "<!channel>" in a log line pings nobody.
//   - The colour is that of the group's most severe event: debug #aaaaaa,
//     info good, notice #439FE0, warning warning, error and worse danger;
//     so is the icon (DefaultIcons, Config.Icons).
//   - Size: Slack truncates message text beyond 40,000 characters. We read
//     that limit as applying to the attachment text too and keep the text
//     within 39,000 bytes after escaping (bytes are never fewer than
//     characters): lines that do not fit are counted in "… and N more",
//     and a first line is cut to fit. Slack shows long attachment texts
//     (700+ characters or 5+ lines) collapsed behind "Show more".
//
// Channel, Username and the icon are sent as "channel", "username" and
// "icon_emoji". Slack honours them only for legacy (custom integration)
// webhooks; app webhooks always post to their own channel as the app. The
// icon is therefore repeated at the start of the title, where it shows
// either way.
//
// Digests is the formatting without the HTTP, golden-tested in testdata.
//
// # Posting
//
// Every message is one POST of application/json to the webhook. Slack
// answers 200 "ok", or (as its 2016 changelog of incoming webhook errors
// documents) 400 invalid_payload or user_not_found, 403 action_prohibited,
// 404 channel_not_found, 410 channel_is_archived, 500 rollup_error; a
// removed or disabled webhook answers 404 no_service. The sink reads the
// status:
//
//   - 2xx: posted.
//   - 429: Slack's rate limit. The error implements RetryAfter()
//     (Retry-After in delay-seconds or as an HTTP-date; 1 s when absent,
//     capped at one hour), so the helper waits at least that long, and the
//     sink itself sends nothing to the webhook before then.
//   - 5xx, 408, a timeout (Config.Timeout per request), a refused or broken
//     connection: retryable.
//   - 400 (invalid_payload and other codes about the message itself) and
//     413: this digest is refused for good; the others are still posted.
//   - other 4xx (403, 404, 410, 400 user_not_found/channel_not_found) and
//     3xx (redirects are not followed): the webhook refuses everything; the
//     digests not yet posted are refused for good without being sent.
//
// Digests refused for good are returned marked sink.Permanent (every digest
// refused) or as a *sink.ItemsError naming the events of the refused
// digests (some were posted), so the helper dead-letters exactly those
// events. Error messages quote Slack's error code and say what to do.
//
// Slack allows one message per second per webhook (short bursts tolerated
// but not guaranteed), so posts are spaced at least one second apart
// (golang.org/x/time/rate, burst 1); waiting respects the context.
//
// # Delivery guarantee
//
// When a Write fails part-way (a 5xx or a timeout on the third of five
// digests), the sink remembers which digests of that batch were posted —
// the batch is recognised by a hash of its events (times, IDs, hosts, apps,
// processes, messages) — and the helper's retry of the same batch posts
// only the rest. The memory is the sink's, in this process: if sluice stops
// or crashes between posting a digest and the helper acknowledging the
// batch, the batch is delivered again after the restart and its digests
// are posted again. Delivery is at-least-once; Slack has no idempotency key
// for webhooks to do better. A request that timed out may also have been
// posted; its retry posts it again.
//
// # Secrets
//
// The webhook URL is a secret. It is never logged or put in an error: the
// sink says "the webhook https://hooks.slack.com/…", with the path
// replaced, and strips the URL that net/http puts in its errors.
package slack
