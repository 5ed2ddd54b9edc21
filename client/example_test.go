package client_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sluicelog/sluice/client"
)

func Example() {
	// A stand-in for sluice that prints the events it receives.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			var e struct {
				Level, Message, Group string
				Fields                map[string]any
			}
			_ = json.Unmarshal(sc.Bytes(), &e)
			fmt.Printf("%s %q level=%q fields=%v\n", e.Group, e.Message, e.Level, e.Fields)
			n++
		}
		fmt.Fprintf(w, `{"accepted":%d,"rejected":0}`, n)
	}))
	defer srv.Close()

	c, err := client.New(srv.URL+"/ingest", client.Options{Group: "/app/billing", App: "billing"})
	if err != nil {
		log.Fatal(err)
	}

	logger := slog.New(c.Handler(nil))
	logger.Warn("payment retried", "order", 1234, slog.Group("card", "brand", "visa"))

	std := log.New(c.Writer(), "billing: ", 0)
	std.Println("ERROR cannot reach the bank") // sluice infers the level

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", c.Stats())
	// Output:
	// /app/billing "payment retried" level="warning" fields=map[card.brand:visa order:1234]
	// /app/billing "billing: ERROR cannot reach the bank" level="" fields=map[]
	// {Sent:2 Dropped:0 Retried:0 Rejected:0 Failed:0}
}
