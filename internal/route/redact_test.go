package route

import (
	"testing"
)

func TestRedact(t *testing.T) {
	f := func(patterns []string, in, want string) {
		t.Helper()
		tr := mustNew(t, Spec{Redact: &Redact{Patterns: patterns}})
		e := jsonEvent(t, `{"message":"x"}`)
		e.Message = in
		tr.Apply(e, testNow)
		if e.Message != want {
			t.Errorf("redact %v of\n%s\ngot  %s\nwant %s", patterns, in, e.Message, want)
		}
	}
	all := []string{"email", "bearer", "aws_key", "card"}
	email, bearer, aws, card := []string{"email"}, []string{"bearer"}, []string{"aws_key"}, []string{"card"}

	// E-mail addresses.
	f(email, `Sent password reset to jane.doe+test@example.co.uk (template=reset_v2)`, `Sent password reset to [REDACTED] (template=reset_v2)`)
	f(email, `at=info user=bob@example.com action=login`, `at=info user=[REDACTED] action=login`)
	f(email, `{"email":"ops@myapp.io","notify":["a@b.io","c.d@e-f.org"]}`, `{"email":"[REDACTED]","notify":["[REDACTED]","[REDACTED]"]}`)
	f(email, `Contact support@heroku.com.`, `Contact [REDACTED].`)
	f(email, `npm install @types/node@20.11.5 left-pad@1.3.0`, `npm install @types/node@20.11.5 left-pad@1.3.0`)
	f(email, `ssh deploy@web01 failed; retry@3`, `ssh deploy@web01 failed; retry@3`)
	f(email, `@channel deploy done @ 10:00`, `@channel deploy done @ 10:00`)

	// Bearer tokens and Authorization values.
	f(bearer, `GET /api/v1/me Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk status=401`,
		`GET /api/v1/me Authorization: Bearer [REDACTED] status=401`)
	f(bearer, `curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA==" https://api.example.com`, `curl -H "Authorization: Basic [REDACTED]" https://api.example.com`)
	f(bearer, `{"headers":{"authorization":"Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a","accept":"*/*"}}`,
		`{"headers":{"authorization":"Bearer [REDACTED]","accept":"*/*"}}`)
	f(bearer, `upstream request Proxy-Authorization=dG9rZW46c2VjcmV0 host=10.0.0.7`, `upstream request Proxy-Authorization=[REDACTED] host=10.0.0.7`)
	f(bearer, `AUTHORIZATION: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host`,
		`AUTHORIZATION: AWS4-HMAC-SHA256 [REDACTED], SignedHeaders=host`)
	f(bearer, `token refresh: BEARER abcdefgh12345678`, `token refresh: BEARER [REDACTED]`)
	f(bearer, `invalid bearer token in request`, `invalid bearer token in request`)
	f(bearer, `WWW-Authenticate: Bearer realm="api"`, `WWW-Authenticate: Bearer realm="api"`)
	f(bearer, `authorization failed for user 42`, `authorization failed for user 42`)

	// AWS keys.
	f(aws, `export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
		`export AWS_ACCESS_KEY_ID=[REDACTED] AWS_SECRET_ACCESS_KEY=[REDACTED]`)
	f(aws, `{"AccessKeyId":"ASIAY34FZKBOKMUTVV7A","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","Expiration":"2026-11-20T11:00:00Z"}`,
		`{"AccessKeyId":"[REDACTED]","SecretAccessKey":"[REDACTED]","Expiration":"2026-11-20T11:00:00Z"}`)
	f(aws, `aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`, `aws_secret_access_key = "[REDACTED]"`)
	f(aws, `arn:aws:iam::123456789012:user/AKIAIOSFODNN7EXAMPLEX`, `arn:aws:iam::123456789012:user/AKIAIOSFODNN7EXAMPLEX`)
	f(aws, `secret_santa=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, `secret_santa=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`)
	f(aws, `secret_key=tooshort`, `secret_key=tooshort`)
	f(aws, `AKIA is the prefix of access key ids`, `AKIA is the prefix of access key ids`)

	// Card numbers.
	f(card, `charge ok card=4111111111111111 amount=12.00 currency=USD`, `charge ok card=[REDACTED] amount=12.00 currency=USD`)
	f(card, `card 4111 1111 1111 1111 exp 12/28`, `card [REDACTED] exp 12/28`)
	f(card, `card 4111-1111-1111-1111`, `card [REDACTED]`)
	f(card, `amex 3782 822463 10005, mc 5555555555554444, discover 6011111111111117, mc2 2223003122003222`,
		`amex [REDACTED], mc [REDACTED], discover [REDACTED], mc2 [REDACTED]`)
	f(card, `{"pan":"4000056655665556","last4":"5556"}`, `{"pan":"[REDACTED]","last4":"5556"}`)
	f(card, `2026-11-20 4111 1111 1111 1111 declined`, `2026-11-20 [REDACTED] declined`)
	f(card, `order_id=1234567890123456 placed`, `order_id=1234567890123456 placed`)               // starts with 1
	f(card, `order 4111111111111112 shipped`, `order 4111111111111112 shipped`)                   // Luhn fails
	f(card, `ts=1763632800123 ns=1763632800123456789`, `ts=1763632800123 ns=1763632800123456789`) // epoch
	f(card, `2026-11-20 10:00:01.123456 +0000 pid=4411`, `2026-11-20 10:00:01.123456 +0000 pid=4411`)
	f(card, `request_id=8601b555-6a83-4c12-8269-97c8e32cdb22`, `request_id=8601b555-6a83-4c12-8269-97c8e32cdb22`)
	f(card, `cpu 3357 0 4313 1362393 0 0 0 0 0 0`, `cpu 3357 0 4313 1362393 0 0 0 0 0 0`)
	f(card, `call +1 415 555 2671 from 4155552671`, `call +1 415 555 2671 from 4155552671`)
	f(card, `sku ABC4111111111111111 x4111111111111111`, `sku ABC4111111111111111 x4111111111111111`)
	f(card, `total 4111111111111111.50 EUR`, `total 4111111111111111.50 EUR`)
	f(card, `ids 4111 1111 1111 1111 1111 9`, `ids [REDACTED] 1111 9`)

	// Everything at once; nothing to mask.
	f(all, `user=jane@example.com token="Bearer abcdefghijklmnop" key=AKIAIOSFODNN7EXAMPLE card=5555-5555-5555-4444`,
		`user=[REDACTED] token="Bearer [REDACTED]" key=[REDACTED] card=[REDACTED]`)
	f(all, `at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https`,
		`at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https`)
	f(all, ``, ``)
}

func TestRedactRegexReplacementAndFields(t *testing.T) {
	f := func(r Redact, in, want string) {
		t.Helper()
		if got := applyJSON(t, Spec{Redact: &r}, in); got != want {
			t.Errorf("redact %+v of %s\ngot  %s\nwant %s", r, in, got, want)
		}
	}
	// A group masks only itself; without a group, the whole match.
	f(Redact{Regex: []string{`password=(\S+)`, `sk_live_[0-9a-zA-Z]{24}`}},
		`{"message":"login password=hunter2 ok stripe=sk_live_4eC39HqLyjWDarjtT1zdp7dc"}`,
		`{"severity":6,"severity_name":"info","message":"login password=[REDACTED] ok stripe=[REDACTED]"}`)
	f(Redact{Patterns: []string{"email"}, Replacement: "***"}, `{"message":"to a@example.com"}`,
		`{"severity":6,"severity_name":"info","message":"to ***"}`)
	// Fields: only those named; a number masked becomes a string.
	f(Redact{Patterns: []string{"email", "card"}, Fields: []string{"user", "fields.card", "host"}},
		`{"host":"ops@example.com","message":"a@example.com","fields":{"user":"a@example.com","card":4111111111111111,"other":"b@example.com"}}`,
		`{"severity":6,"severity_name":"info","host":"[REDACTED]","message":"a@example.com","fields":{"user":"[REDACTED]","card":"[REDACTED]","other":"b@example.com"}}`)
}

func TestRedactAllocatesNothingWithoutSecrets(t *testing.T) {
	tr := mustNew(t, Spec{Redact: &Redact{Patterns: RedactPatterns()}})
	events := testEvents(t)
	allocs := testing.AllocsPerRun(50, func() {
		for i := range events {
			tr.Apply(&events[i], testNow)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per %d events without secrets, want 0", allocs, len(events))
	}
}
