// Command make_fixtures writes the gob fixtures of tests/testdata/official/:
//
//	make_fixtures <dir>
//
// newest_layout.gob is a persistence file in the layout of the newest upstream
// Pushgateway (storage/interface.go at prometheus/pushgateway 412bd22, with
// client_model v0.6.2's dto types). Upstream's module cannot be downloaded
// here, so the types are mirrored: the storage types with their names and
// fields, and the dto types with the exported fields of protoc-gen-go's
// current output (no XXX_ fields; the unexported state fields are not sent by
// gob). GobbableMetricFamily encodes itself as the protobuf bytes of the
// family, written with protowire from Debian's google.golang.org/protobuf.
// Only the package of unnamed types differs from upstream's stream:
// "[]*main.LabelPair" instead of "[]*io_prometheus_client.LabelPair".
//
// gob_kinds.gob is one value holding every kind of gob value, for the
// generic decoder's test.
//
// Built offline in GOPATH mode against Debian's sources (see
// tests/official_migration_test.ts). Go's map order is random, so two runs
// give different bytes for the same content.
package main

import (
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// ---------------------------------------------------------------------------
// Mirror of client_model v0.6.2 (go/metrics.pb.go): exported fields in order.

type MetricType int32

const (
	COUNTER         MetricType = 0
	GAUGE           MetricType = 1
	SUMMARY         MetricType = 2
	UNTYPED         MetricType = 3
	HISTOGRAM       MetricType = 4
	GAUGE_HISTOGRAM MetricType = 5
)

type protoState struct{} // stands in for protoimpl.MessageState and friends

type Timestamp struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Seconds       int64
	Nanos         int32
}

type LabelPair struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Name          *string
	Value         *string
}

type Gauge struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Value         *float64
}

type Counter struct {
	state            protoState
	sizeCache        int32
	unknownFields    []byte
	Value            *float64
	Exemplar         *Exemplar
	CreatedTimestamp *Timestamp
}

type Quantile struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Quantile      *float64
	Value         *float64
}

type Summary struct {
	state            protoState
	sizeCache        int32
	unknownFields    []byte
	SampleCount      *uint64
	SampleSum        *float64
	Quantile         []*Quantile
	CreatedTimestamp *Timestamp
}

type Untyped struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Value         *float64
}

type Histogram struct {
	state            protoState
	sizeCache        int32
	unknownFields    []byte
	SampleCount      *uint64
	SampleCountFloat *float64
	SampleSum        *float64
	Bucket           []*Bucket
	CreatedTimestamp *Timestamp
	Schema           *int32
	ZeroThreshold    *float64
	ZeroCount        *uint64
	ZeroCountFloat   *float64
	NegativeSpan     []*BucketSpan
	NegativeDelta    []int64
	NegativeCount    []float64
	PositiveSpan     []*BucketSpan
	PositiveDelta    []int64
	PositiveCount    []float64
	Exemplars        []*Exemplar
}

type Bucket struct {
	state                protoState
	sizeCache            int32
	unknownFields        []byte
	CumulativeCount      *uint64
	CumulativeCountFloat *float64
	UpperBound           *float64
	Exemplar             *Exemplar
}

type BucketSpan struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Offset        *int32
	Length        *uint32
}

type Exemplar struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Label         []*LabelPair
	Value         *float64
	Timestamp     *Timestamp
}

type Metric struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Label         []*LabelPair
	Gauge         *Gauge
	Counter       *Counter
	Summary       *Summary
	Untyped       *Untyped
	Histogram     *Histogram
	TimestampMs   *int64
}

type MetricFamily struct {
	state         protoState
	sizeCache     int32
	unknownFields []byte
	Name          *string
	Help          *string
	Type          *MetricType
	Metric        []*Metric
	Unit          *string
}

// ---------------------------------------------------------------------------
// Mirror of storage/interface.go.

type GroupingKeyToMetricGroup map[string]MetricGroup

type MetricGroup struct {
	Labels  map[string]string
	Metrics NameToTimestampedMetricFamilyMap
}

type NameToTimestampedMetricFamilyMap map[string]TimestampedMetricFamily

type TimestampedMetricFamily struct {
	Timestamp            time.Time
	GobbableMetricFamily *GobbableMetricFamily
}

type GobbableMetricFamily MetricFamily

// GobEncode writes the family as protobuf, as upstream's proto.Marshal does.
func (g *GobbableMetricFamily) GobEncode() ([]byte, error) {
	return marshalFamily((*MetricFamily)(g)), nil
}

// GobDecode is never called here; it makes the type a GobDecoder like upstream's.
func (g *GobbableMetricFamily) GobDecode([]byte) error { return fmt.Errorf("not implemented") }

// ---------------------------------------------------------------------------
// Protobuf encoding of the mirror types (field numbers of metrics.proto).

func appendString(b []byte, num protowire.Number, s *string) []byte {
	if s == nil {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, *s)
}

func appendDouble(b []byte, num protowire.Number, v *float64) []byte {
	if v == nil {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(*v))
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func marshalTimestamp(t *Timestamp) []byte {
	var b []byte
	if t.Seconds != 0 {
		b = appendVarint(b, 1, uint64(t.Seconds))
	}
	if t.Nanos != 0 {
		b = appendVarint(b, 2, uint64(int64(t.Nanos)))
	}
	return b
}

func marshalLabels(b []byte, num protowire.Number, labels []*LabelPair) []byte {
	for _, l := range labels {
		var m []byte
		m = appendString(m, 1, l.Name)
		m = appendString(m, 2, l.Value)
		b = appendMessage(b, num, m)
	}
	return b
}

func marshalExemplar(e *Exemplar) []byte {
	b := marshalLabels(nil, 1, e.Label)
	b = appendDouble(b, 2, e.Value)
	if e.Timestamp != nil {
		b = appendMessage(b, 3, marshalTimestamp(e.Timestamp))
	}
	return b
}

func marshalSpans(b []byte, num protowire.Number, spans []*BucketSpan) []byte {
	for _, s := range spans {
		var m []byte
		if s.Offset != nil {
			m = appendVarint(m, 1, protowire.EncodeZigZag(int64(*s.Offset)))
		}
		if s.Length != nil {
			m = appendVarint(m, 2, uint64(*s.Length))
		}
		b = appendMessage(b, num, m)
	}
	return b
}

func marshalHistogram(h *Histogram) []byte {
	var b []byte
	if h.SampleCount != nil {
		b = appendVarint(b, 1, *h.SampleCount)
	}
	b = appendDouble(b, 2, h.SampleSum)
	for _, bk := range h.Bucket {
		var m []byte
		if bk.CumulativeCount != nil {
			m = appendVarint(m, 1, *bk.CumulativeCount)
		}
		m = appendDouble(m, 2, bk.UpperBound)
		if bk.Exemplar != nil {
			m = appendMessage(m, 3, marshalExemplar(bk.Exemplar))
		}
		m = appendDouble(m, 4, bk.CumulativeCountFloat)
		b = appendMessage(b, 3, m)
	}
	b = appendDouble(b, 4, h.SampleCountFloat)
	if h.Schema != nil {
		b = appendVarint(b, 5, protowire.EncodeZigZag(int64(*h.Schema)))
	}
	b = appendDouble(b, 6, h.ZeroThreshold)
	if h.ZeroCount != nil {
		b = appendVarint(b, 7, *h.ZeroCount)
	}
	b = appendDouble(b, 8, h.ZeroCountFloat)
	b = marshalSpans(b, 9, h.NegativeSpan)
	for _, d := range h.NegativeDelta {
		b = appendVarint(b, 10, protowire.EncodeZigZag(d))
	}
	for i := range h.NegativeCount {
		b = appendDouble(b, 11, &h.NegativeCount[i])
	}
	b = marshalSpans(b, 12, h.PositiveSpan)
	for _, d := range h.PositiveDelta {
		b = appendVarint(b, 13, protowire.EncodeZigZag(d))
	}
	for i := range h.PositiveCount {
		b = appendDouble(b, 14, &h.PositiveCount[i])
	}
	if h.CreatedTimestamp != nil {
		b = appendMessage(b, 15, marshalTimestamp(h.CreatedTimestamp))
	}
	for _, e := range h.Exemplars {
		b = appendMessage(b, 16, marshalExemplar(e))
	}
	return b
}

func marshalMetric(m *Metric) []byte {
	b := marshalLabels(nil, 1, m.Label)
	if m.Gauge != nil {
		b = appendMessage(b, 2, appendDouble(nil, 1, m.Gauge.Value))
	}
	if c := m.Counter; c != nil {
		cb := appendDouble(nil, 1, c.Value)
		if c.Exemplar != nil {
			cb = appendMessage(cb, 2, marshalExemplar(c.Exemplar))
		}
		if c.CreatedTimestamp != nil {
			cb = appendMessage(cb, 3, marshalTimestamp(c.CreatedTimestamp))
		}
		b = appendMessage(b, 3, cb)
	}
	if s := m.Summary; s != nil {
		var sb []byte
		if s.SampleCount != nil {
			sb = appendVarint(sb, 1, *s.SampleCount)
		}
		sb = appendDouble(sb, 2, s.SampleSum)
		for _, q := range s.Quantile {
			sb = appendMessage(sb, 3, appendDouble(appendDouble(nil, 1, q.Quantile), 2, q.Value))
		}
		if s.CreatedTimestamp != nil {
			sb = appendMessage(sb, 4, marshalTimestamp(s.CreatedTimestamp))
		}
		b = appendMessage(b, 4, sb)
	}
	if m.Untyped != nil {
		b = appendMessage(b, 5, appendDouble(nil, 1, m.Untyped.Value))
	}
	if m.TimestampMs != nil {
		b = appendVarint(b, 6, uint64(*m.TimestampMs))
	}
	if m.Histogram != nil {
		b = appendMessage(b, 7, marshalHistogram(m.Histogram))
	}
	return b
}

func marshalFamily(f *MetricFamily) []byte {
	var b []byte
	b = appendString(b, 1, f.Name)
	b = appendString(b, 2, f.Help)
	if f.Type != nil {
		b = appendVarint(b, 3, uint64(*f.Type))
	}
	for _, m := range f.Metric {
		b = appendMessage(b, 4, marshalMetric(m))
	}
	b = appendString(b, 5, f.Unit)
	return b
}

// ---------------------------------------------------------------------------
// The content of newest_layout.gob.

func str(s string) *string         { return &s }
func f64(v float64) *float64       { return &v }
func u64(v uint64) *uint64         { return &v }
func i32(v int32) *int32           { return &v }
func u32(v uint32) *uint32         { return &v }
func typ(t MetricType) *MetricType { return &t }

// labels returns the grouping labels plus extra pairs, sorted by name as upstream's sanitizeLabels leaves them.
func labels(grouping map[string]string, extra ...string) []*LabelPair {
	all := map[string]string{}
	for i := 0; i+1 < len(extra); i += 2 {
		all[extra[i]] = extra[i+1]
	}
	for k, v := range grouping {
		all[k] = v
	}
	if _, ok := all["instance"]; !ok {
		all["instance"] = ""
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	for i := 1; i < len(names); i++ { // insertion sort: tiny inputs
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	out := make([]*LabelPair, 0, len(names))
	for _, n := range names {
		out = append(out, &LabelPair{Name: str(n), Value: str(all[n])})
	}
	return out
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// group builds a MetricGroup as upstream's store leaves it: the families pushed at
// pushed, push_time_seconds (zero when pushed is zero) and push_failure_time_seconds.
func group(grouping map[string]string, pushed, failed time.Time, families map[string]*MetricFamily, familyTime map[string]time.Time) MetricGroup {
	metrics := NameToTimestampedMetricFamilyMap{}
	for name, f := range families {
		t := pushed
		if ft, ok := familyTime[name]; ok {
			t = ft
		}
		metrics[name] = TimestampedMetricFamily{Timestamp: t, GobbableMetricFamily: (*GobbableMetricFamily)(f)}
	}
	gauge := func(name, help string, v float64) *MetricFamily {
		return &MetricFamily{Name: str(name), Help: str(help), Type: typ(GAUGE),
			Metric: []*Metric{{Label: labels(grouping), Gauge: &Gauge{Value: f64(v)}}}}
	}
	pushTime, failTime := pushed, failed
	if pushTime.IsZero() {
		pushTime = failed
	}
	if failTime.IsZero() {
		failTime = pushed
	}
	metrics["push_time_seconds"] = TimestampedMetricFamily{Timestamp: pushTime, GobbableMetricFamily: (*GobbableMetricFamily)(
		gauge("push_time_seconds", "Last Unix time when changing this group in the Pushgateway succeeded.", unixSeconds(pushed)))}
	metrics["push_failure_time_seconds"] = TimestampedMetricFamily{Timestamp: failTime, GobbableMetricFamily: (*GobbableMetricFamily)(
		gauge("push_failure_time_seconds", "Last Unix time when changing this group in the Pushgateway failed.", unixSeconds(failed)))}
	return MetricGroup{Labels: grouping, Metrics: metrics}
}

func key(grouping map[string]string) string {
	names := make([]string, 0, len(grouping))
	for k := range grouping {
		names = append(names, k)
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	k := ""
	for i, n := range names {
		if i > 0 {
			k += "\xff"
		}
		k += n + "\xff" + grouping[n]
	}
	return k
}

func newestLayout() GroupingKeyToMetricGroup {
	t0 := time.Date(2026, 6, 27, 7, 5, 55, 123456789, time.UTC)
	created := &Timestamp{Seconds: 1782000000, Nanos: 5}

	backup := map[string]string{"job": "backup", "instance": "db1"}
	hist := map[string]string{"job": "latency", "env": "prod"}
	utf8 := map[string]string{"job": "zürich/ost", "path": "/var/tmp", "empty": ""}
	failedOnly := map[string]string{"job": "never-succeeded"}

	out := GroupingKeyToMetricGroup{}
	out[key(backup)] = group(backup, t0, time.Time{}, map[string]*MetricFamily{
		"backup_size_bytes_total": {Name: str("backup_size_bytes_total"), Help: str("Bytes written by the backup."),
			Type: typ(COUNTER), Unit: str("bytes"), Metric: []*Metric{{
				Label: labels(backup, "disk", "sda"),
				Counter: &Counter{Value: f64(1.5e9), CreatedTimestamp: created, Exemplar: &Exemplar{
					Label: []*LabelPair{{Name: str("trace_id"), Value: str("abc123")}}, Value: f64(4096),
					Timestamp: &Timestamp{Seconds: 1782000001, Nanos: 250000000}}},
			}, {
				Label:   labels(backup, "disk", "sdb"),
				Counter: &Counter{Value: f64(0)},
			}}},
		"backup_last_success_timestamp_seconds": {Name: str("backup_last_success_timestamp_seconds"), Help: str(""),
			Type: typ(GAUGE), Metric: []*Metric{{Label: labels(backup), Gauge: &Gauge{Value: f64(1.7820000001e9)}}}},
		"backup_note": {Name: str("backup_note"), Type: typ(UNTYPED),
			Metric: []*Metric{{Label: labels(backup, "kind", "a \"quoted\"\\ value\nwith a newline"), Untyped: &Untyped{Value: f64(math.Inf(-1))}}}},
	}, map[string]time.Time{"backup_note": t0.Add(-90 * time.Minute)})

	out[key(hist)] = group(hist, t0.Add(time.Second), t0.Add(2*time.Second+7), map[string]*MetricFamily{
		"request_seconds": {Name: str("request_seconds"), Help: str("Request latency."), Type: typ(HISTOGRAM),
			Metric: []*Metric{{Label: labels(hist, "route", "/a"), Histogram: &Histogram{
				SampleCount: u64(10), SampleSum: f64(3.25), CreatedTimestamp: created,
				Bucket: []*Bucket{
					{CumulativeCount: u64(2), UpperBound: f64(0.1)},
					{CumulativeCount: u64(7), UpperBound: f64(0.5), Exemplar: &Exemplar{
						Label: []*LabelPair{{Name: str("trace_id"), Value: str("t-7")}}, Value: f64(0.42)}},
					{CumulativeCount: u64(10), UpperBound: f64(math.Inf(1))},
				},
			}}}},
		"native_seconds": {Name: str("native_seconds"), Help: str("A native histogram."), Type: typ(HISTOGRAM),
			Metric: []*Metric{{Label: labels(hist), Histogram: &Histogram{
				SampleCount: u64(9), SampleSum: f64(-1.5), Schema: i32(3), ZeroThreshold: f64(1e-128), ZeroCount: u64(1),
				NegativeSpan: []*BucketSpan{{Offset: i32(-2), Length: u32(2)}}, NegativeDelta: []int64{1, 1},
				PositiveSpan:  []*BucketSpan{{Offset: i32(0), Length: u32(2)}, {Offset: i32(3), Length: u32(1)}},
				PositiveDelta: []int64{2, -1, 1},
				Exemplars: []*Exemplar{{Label: []*LabelPair{{Name: str("trace_id"), Value: str("n-1")}}, Value: f64(0.7),
					Timestamp: &Timestamp{Seconds: 1782000002}}},
			}}}},
		"request_size_bytes": {Name: str("request_size_bytes"), Help: str("Request sizes."), Type: typ(SUMMARY),
			Metric: []*Metric{{Label: labels(hist), Summary: &Summary{
				SampleCount: u64(4), SampleSum: f64(1024), Quantile: []*Quantile{
					{Quantile: f64(0.5), Value: f64(200)}, {Quantile: f64(0.99), Value: f64(math.NaN())}},
			}}}},
		// Named to sort after every other family: Debian's 1.5.1 cannot write gauge histograms
		// as text and ends its text scrape there.
		"worker_queue_depth": {Name: str("worker_queue_depth"), Help: str("A float gauge histogram."), Type: typ(GAUGE_HISTOGRAM),
			Metric: []*Metric{{Label: labels(hist), Histogram: &Histogram{
				SampleCountFloat: f64(5.5), SampleSum: f64(12), Bucket: []*Bucket{
					{CumulativeCountFloat: f64(2.5), UpperBound: f64(1)},
					{CumulativeCountFloat: f64(5.5), UpperBound: f64(math.Inf(1))}},
			}}}},
	}, nil)

	out[key(utf8)] = group(utf8, t0.Add(3*time.Second), time.Time{}, map[string]*MetricFamily{
		"temperature_celsius": {Name: str("temperature_celsius"), Help: str("Température ° in \\ Zürich."), Type: typ(GAUGE),
			Metric: []*Metric{
				{Label: labels(utf8, "sensor", "nord"), Gauge: &Gauge{Value: f64(-12.75)}},
				{Label: labels(utf8, "sensor", "süd"), Gauge: &Gauge{Value: f64(math.Copysign(0, -1))}},
			}},
	}, nil)

	out[key(failedOnly)] = group(failedOnly, time.Time{}, t0.Add(4*time.Second+999999999), nil, nil)
	return out
}

// ---------------------------------------------------------------------------
// The content of gob_kinds.gob.

type Inner struct {
	Name  string
	Count int
}

// NeverSent is a type whose definition is sent but which holds no value in the stream.
type NeverSent struct {
	A []map[string]float64
	B *NeverSent
}

// binOnly implements encoding.BinaryMarshaler (not GobEncoder).
type binOnly struct{ v byte }

func (b binOnly) MarshalBinary() ([]byte, error)  { return []byte{0xde, 0xad, b.v}, nil }
func (b *binOnly) UnmarshalBinary(d []byte) error { b.v = d[len(d)-1]; return nil }

type Kinds struct {
	Bool    bool
	Int     int
	Neg     int64
	MinInt  int64
	Uint    uint64
	Float   float64
	NegZero float64
	Bytes   []byte
	String  string
	Complex complex128
	Array   [3]int8
	Slice   []string
	Map     map[int32]string
	Nested  *Inner
	Inners  []Inner
	Time    time.Time
	Binary  binOnly
	Zero    int
	Empty   []int
	Nil     *NeverSent
	Unused  interface{}
	Last    string
}

func kinds() Kinds {
	return Kinds{
		Bool: true, Int: 300, Neg: -129, MinInt: math.MinInt64, Uint: math.MaxUint64, Float: 17.0,
		NegZero: math.Copysign(0, -1), Bytes: []byte{0, 1, 255}, String: "héllo", Complex: complex(1.5, -2),
		Array: [3]int8{-1, 0, 1}, Slice: []string{"a", "", "c"}, Map: map[int32]string{-7: "minus seven"},
		Nested: &Inner{Name: "n", Count: 2}, Inners: []Inner{{Name: "x"}, {}},
		Time:   time.Date(2026, 6, 27, 7, 5, 55, 123456789, time.FixedZone("", 2*3600)),
		Binary: binOnly{v: 7}, Last: "end",
	}
}

func write(path string, v interface{}) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := gob.NewEncoder(f).Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: make_fixtures <dir>")
		os.Exit(2)
	}
	write(filepath.Join(os.Args[1], "newest_layout.gob"), newestLayout())
	write(filepath.Join(os.Args[1], "gob_kinds.gob"), kinds())
}
