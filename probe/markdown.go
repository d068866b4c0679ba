package probe

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the results as a Markdown table, with the summary
// under it, as a CI job summary ($GITHUB_STEP_SUMMARY) shows it. What a
// provider sent (the sender seen, ids) is escaped so that it cannot break
// the table or bring in HTML.
func WriteMarkdown(w io.Writer, results []Result, s Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### otp probe: %d of %d ok\n\n", s.Verdicts[OK], len(results))
	b.WriteString("| number | probe | route | message | receipt | verdict | latency | sender seen |\n")
	b.WriteString("| --- | ---: | --- | --- | --- | --- | ---: | --- |\n")
	for _, r := range results {
		lat := "–"
		if r.LatencyMS != nil {
			lat = fmtMS(*r.LatencyMS)
		}
		verdict := "**" + string(r.Verdict) + "**"
		if r.Verdict == OK {
			verdict = string(r.Verdict)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", mdCell(r.To), r.Probe,
			mdCell(strings.TrimSpace(r.Route.Provider+" "+r.Route.Channel)), mdCell(r.MessageID), r.DLR, verdict, lat, mdCell(r.FromSeen))
	}
	fmt.Fprintf(&b, "\nSent %d, arrived %d", s.Sent, s.Arrived)
	for _, v := range AllVerdicts() {
		if n := s.Verdicts[v]; n > 0 {
			fmt.Fprintf(&b, ", %s %d", v, n)
		}
	}
	if s.MaxMS != nil {
		fmt.Fprintf(&b, "; latency p50 %s, p95 %s, max %s", fmtMS(*s.P50MS), fmtMS(*s.P95MS), fmtMS(*s.MaxMS))
	}
	b.WriteString(".\n\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtMS(ms int64) string { return (time.Duration(ms) * time.Millisecond).String() }

// mdCell makes a table cell of s: control characters dropped, and the
// characters Markdown or HTML would read escaped.
func mdCell(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0:
		case r == '|' || r == '\\' || r == '`' || r == '*' || r == '_' || r == '[' || r == ']':
			b.WriteString(`\` + string(r))
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "–"
	}
	return b.String()
}
