// Command go_openmetrics renders MetricFamilies with prometheus/common's
// expfmt.MetricFamilyToOpenMetrics, for tests/interop_openmetrics_go_test.ts.
// It is built offline against Debian's golang-github-prometheus-common-dev
// (GOPATH mode).
//
// It reads length-delimited io.prometheus.client.MetricFamily messages on
// stdin and writes one JSON object per message on stdout:
// {"out": <the bytes written, base64>, "err": <the error text or "">}.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/matttproud/golang_protobuf_extensions/pbutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

type result struct {
	Out []byte `json:"out"`
	Err string `json:"err"`
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for {
		mf := &dto.MetricFamily{}
		if _, err := pbutil.ReadDelimited(in, mf); err != nil {
			if err == io.EOF {
				break
			}
			fmt.Fprintln(os.Stderr, "reading input:", err)
			os.Exit(1)
		}
		var buf bytes.Buffer
		_, err := expfmt.MetricFamilyToOpenMetrics(&buf, mf)
		r := result{Out: buf.Bytes()}
		if err != nil {
			r.Err = err.Error()
		}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "writing output:", err)
			os.Exit(1)
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "writing output:", err)
		os.Exit(1)
	}
}
