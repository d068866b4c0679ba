package probe

import (
	"encoding/xml"
	"fmt"
	"io"
)

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the results as JUnit XML: one test case per number and
// probe, failed unless its verdict is ok.
func WriteJUnit(w io.Writer, results []Result) error {
	s := junitSuite{Name: "otp probe", Tests: len(results)}
	for _, r := range results {
		c := junitCase{Name: fmt.Sprintf("%s probe %d", r.To, r.Probe), Classname: "otp.probe." + r.Route.Provider, Time: "0"}
		if r.LatencyMS != nil {
			c.Time = fmt.Sprintf("%.3f", float64(*r.LatencyMS)/1000)
		}
		if r.Verdict != OK {
			s.Failures++
			msg := string(r.Verdict) + ": " + r.Verdict.Meaning()
			if r.Error != "" {
				msg = string(r.Verdict) + ": " + r.Error
			}
			c.Failure = &junitFailure{Message: msg, Type: string(r.Verdict), Text: fmt.Sprintf("route %s %s, message %s, receipt %s, arrived %t, from %q, sender preserved %t, text intact %t",
				r.Route.Provider, r.Route.Channel, r.MessageID, r.DLR, r.Arrived, r.FromSeen, r.SenderPreserved, r.BodyIntact)}
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	e := xml.NewEncoder(w)
	e.Indent("", "  ")
	if err := e.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
