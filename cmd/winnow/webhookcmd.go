package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/winnow/winnow/internal/admin"
	"github.com/winnow/winnow/internal/comment"
	"github.com/winnow/winnow/internal/config"
	"github.com/winnow/winnow/internal/sqlstore"
	"github.com/winnow/winnow/internal/webhook"
	"github.com/winnow/winnow/internal/webhook/dispatch"
)

// newDispatcher builds the webhook dispatcher that serve runs on the store's outbox.
func newDispatcher(st *sqlstore.Store, c config.Webhooks, log *slog.Logger) *dispatch.Dispatcher {
	return dispatch.New(st, dispatch.Options{
		Workers: c.Workers, Timeout: c.Timeout, PollInterval: c.PollInterval, Schedule: c.Retry,
		AllowPrivateNetworks: c.AllowPrivateNetworks, Logger: log, Now: time.Now,
	})
}

// webhookAdd creates an endpoint and prints its secret alone on stdout, so a script
// can capture it; it is shown only this once.
func webhookAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("webhook add", getenv, stderr)
	var evs stringList
	site := f.fs.String("site", "", "site id")
	url := f.fs.String("url", "", "endpoint URL (http or https)")
	desc := f.fs.String("description", "", "what the endpoint is for")
	f.fs.Var(&evs, "event", "event to send: comment.published, comment.unpublished, comment.updated (repeatable; default all)")
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		w := webhook.Endpoint{SiteID: *site, URL: *url, Description: *desc}
		for _, e := range evs {
			w.Events = append(w.Events, comment.EventType(e))
		}
		w, err := svc.CreateWebhook(ctx, admin.Operator(), w)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, w.Secret)
		return nil
	})
}

func webhookList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("webhook list", getenv, stderr)
	site := f.fs.String("site", "", "only this site's endpoints")
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		ws, err := svc.Webhooks(ctx, admin.Operator(), *site)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSITE\tURL\tEVENTS\tDISABLED\tCREATED\tDESCRIPTION")
		for _, w := range ws {
			names := make([]string, len(w.Events))
			for i, e := range w.Events {
				names[i] = string(e)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%s\t%s\n", w.ID, w.SiteID, w.URL, strings.Join(names, ","),
				w.Disabled, stamp(w.CreatedAt), w.Description)
		}
		return tw.Flush()
	})
}

func webhookRemove(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	f := newFlags("webhook remove", getenv, stderr)
	id := f.fs.Int64("id", 0, "endpoint id (see webhook list)")
	return withAdmin(ctx, f, args, getenv, func(svc *admin.Service) error {
		return svc.DeleteWebhook(ctx, admin.Operator(), *id)
	})
}
