// Package parse turns input of every kind sluice accepts into events and
// understands them: it detects the format of an input, runs the wire parser
// for it (syslog, Logplex, Firehose, CloudWatch), then enriches each event
// (Heroku router and platform lines, Lambda lines, JSON and logfmt bodies)
// and recovers its real severity.
//
// The wire parsers live in the sub-packages; this package is the one place
// that chains them, so that sources and `sluice parse` agree exactly.
package parse

import (
	"strings"

	"github.com/sluicelog/sluice/internal/event"
	"github.com/sluicelog/sluice/internal/parse/heroku"
	"github.com/sluicelog/sluice/internal/parse/jsonbody"
	"github.com/sluicelog/sluice/internal/parse/lambda"
	"github.com/sluicelog/sluice/internal/parse/logfmt"
	"github.com/sluicelog/sluice/internal/parse/severity"
)

// Enricher understands parsed events. The zero value enriches with severity
// mode auto.
type Enricher struct {
	// Severity says when the severity is recovered from the text.
	Severity severity.Mode
	// NoBodyFields turns off JSON and logfmt body parsing into fields.
	NoBodyFields bool
}

// Enrich understands e in place:
//
//  1. Heroku's own lines (router, platform, add-ons, Logplex notices) and
//     Lambda's (START/END/REPORT, runtime formats, JSON log format) get their
//     fields and severity;
//  2. otherwise a JSON object or logfmt message becomes fields;
//  3. the severity is recovered from the text per the severity mode.
func (en Enricher) Enrich(e *event.Event) {
	known := false
	switch {
	case isHerokuLine(e):
		known = heroku.Enrich(e)
	case isLambdaGroup(e.Group):
		known = lambda.Enrich(e)
	}
	if !known && !en.NoBodyFields {
		appendBodyFields(e)
	}
	severity.Apply(e, en.Severity)
}

// isHerokuLine says whether a line may be Heroku's own: Logplex marks the
// platform's lines with app-name "heroku" and add-ons with their name as
// procid (heroku-postgres, heroku-redis).
func isHerokuLine(e *event.Event) bool {
	return e.App == "heroku" || strings.HasPrefix(e.Proc, "heroku-") || e.Proc == "router" || e.App == "logplex"
}

func isLambdaGroup(group string) bool {
	return strings.HasPrefix(group, "/aws/lambda/")
}

// appendBodyFields adds the keys of a JSON object or logfmt message as
// fields. A message that is neither is left alone.
func appendBodyFields(e *event.Event) {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		return
	}
	n := len(e.Fields)
	if msg[0] == '{' {
		fields, err := jsonbody.AppendFields(e.Fields, msg)
		if err != nil {
			e.Fields = e.Fields[:n]
			return
		}
		e.Fields = fields
		return
	}
	if strings.IndexByte(msg, '=') < 0 {
		return
	}
	if fields, ok := logfmt.AppendFields(e.Fields, msg); ok {
		e.Fields = fields
	} else {
		e.Fields = e.Fields[:n]
	}
}
