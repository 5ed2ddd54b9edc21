// Package client sends an application's logs to sluice's ingest endpoint
// (POST /ingest) in batches. It uses only the standard library.
//
// A Client is both a slog.Handler factory and an io.Writer for the standard
// log package:
//
//	c, err := client.New("https://sluice.example.com/ingest", client.Options{
//		Token: os.Getenv("SLUICE_TOKEN"),
//		Group: "/app/billing",
//		App:   "billing",
//	})
//	if err != nil {
//		return err
//	}
//	defer c.Close(context.Background()) // sends what is buffered
//
//	logger := slog.New(c.Handler(&slog.HandlerOptions{Level: slog.LevelDebug}))
//	logger.Info("order paid", "order", 1234, slog.Group("customer", "id", 42))
//	// -> {"level":"info","message":"order paid","fields":{"order":1234,"customer.id":42},...}
//
//	log.SetOutput(c.Writer()) // each line one event; sluice infers the level
//
// # Delivery
//
// Events are encoded when logged and buffered (at most MaxBuffered); one
// goroutine sends them as NDJSON, BatchSize at a time or every
// FlushInterval. Failed requests (no answer, 429, 5xx) are retried RetryMax
// times with exponential backoff, waiting as a 429 or 503 Retry-After says;
// other 4xx answers are not retried. A batch that cannot be delivered is
// written to Fallback (os.Stderr by default) as JSON lines, so that logs
// never vanish; the error is returned by the next Flush or Close and passed
// to Options.OnError. When the buffer is full, OnFull decides: Block waits up
// to BlockTimeout for room, Drop drops at once; dropped events are counted
// and reported to sluice as one warning event. Stats tells what happened.
//
// Close flushes: call it before the program exits, with a deadline; what
// cannot be sent by then goes to Fallback.
package client
