package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkWebhookToGroup measures, one message at a time, how long a message
// takes from the signed webhook request to its appearance in the emulated
// group (the bot's openwechat send included), with
// the governor's limits raised (the default pace is one message every ~3 s by
// design). Run: go test -run '^$' -bench WebhookToGroup -benchtime 200x ./cmd/qunzhu/
func BenchmarkWebhookToGroup(b *testing.B) {
	d := startDemo(b, map[string]string{"QUNZHU_LOG_LEVEL": "warn"})
	path := fmt.Sprintf("%s/_emu/groups/%s/messages", d.emu, url.PathEscape(cadres))
	seq := d.lastSeq(cadres)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		text := fmt.Sprintf("压测消息 %d %d", i, time.Now().UnixNano())
		// Timed from the request's start: the message can reach the group before
		// the 202 reaches the client, so timing from the 202 would flatter us.
		start := time.Now()
		code, out := d.webhook(cadres, text, "")
		if code != http.StatusAccepted {
			b.Fatalf("webhook = %d %v", code, out)
		}
		for found := false; !found; {
			var ms []emuMessage
			if err := d.getJSON(fmt.Sprintf("%s?after=%d&wait=5s", path, seq), &ms); err != nil {
				b.Fatal(err)
			}
			for _, m := range ms {
				seq = max(seq, m.Seq)
				if strings.Contains(m.Text, text) {
					found = true
				}
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// reportLatency reports the median and 99th percentile of one-at-a-time
// latencies in milliseconds, instead of ns/op.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
