// Command go_pusher pushes one histogram and one counter with client_golang's
// push package, for tests/interop_go_test.ts. It is built offline against
// Debian's golang-github-prometheus-client-golang-dev (GOPATH mode).
//
//	go_pusher -url http://127.0.0.1:9091 -job batch -op push|add|delete \
//	  [-group name=value]... [-format proto|text] [-observe 0.3,1.2] [-native]
//
// Exits 1 and prints the client's error on failure.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"
)

type groups []string

func (g *groups) String() string     { return strings.Join(*g, ",") }
func (g *groups) Set(v string) error { *g = append(*g, v); return nil }

func main() {
	url := flag.String("url", "", "gateway URL")
	job := flag.String("job", "", "job name")
	op := flag.String("op", "push", "push (PUT), add (POST) or delete (DELETE)")
	format := flag.String("format", "proto", "body format: proto or text")
	observe := flag.String("observe", "", "comma-separated observations")
	native := flag.Bool("native", false, "also keep native (sparse) buckets")
	var grouping groups
	flag.Var(&grouping, "group", "grouping label name=value (repeatable)")
	flag.Parse()

	opts := prometheus.HistogramOpts{
		Name:    "go_job_duration_seconds",
		Help:    "Duration of the job.",
		Buckets: []float64{0.5, 1, 5},
	}
	if *native {
		opts.NativeHistogramBucketFactor = 1.1
		opts.NativeHistogramZeroThreshold = prometheus.NativeHistogramZeroThresholdZero
	}
	hist := prometheus.NewHistogram(opts)
	runs := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "go_job_observations_total",
		Help: "Observations made.",
	})
	if *observe != "" {
		for _, field := range strings.Split(*observe, ",") {
			v, err := strconv.ParseFloat(field, 64)
			if err != nil {
				fail(err)
			}
			hist.Observe(v)
			runs.Inc()
		}
	}

	p := push.New(*url, *job).Collector(hist).Collector(runs)
	for _, g := range grouping {
		name, value, ok := strings.Cut(g, "=")
		if !ok {
			fail(fmt.Errorf("bad -group %q", g))
		}
		p = p.Grouping(name, value)
	}
	if *format == "text" {
		p = p.Format(expfmt.FmtText)
	}
	var err error
	switch *op {
	case "push":
		err = p.Push()
	case "add":
		err = p.Add()
	case "delete":
		err = p.Delete()
	default:
		err = fmt.Errorf("unknown -op %q", *op)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "go_pusher:", err)
	os.Exit(1)
}
