package otp

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestGenerateShape(t *testing.T) {
	for _, f := range []Format{Numeric, Hex} {
		alphabet := "0123456789"
		if f == Hex {
			alphabet = "0123456789ABCDEF"
		}
		for n := MinLength; n <= MaxLength; n++ {
			code, err := Generate(f, n)
			if err != nil {
				t.Fatalf("Generate(%v, %d): %v", f, n, err)
			}
			if len(code) != n || strings.Trim(code, alphabet) != "" {
				t.Fatalf("Generate(%v, %d) = %q: wrong length or alphabet", f, n, code)
			}
		}
	}
	for _, n := range []int{0, 3, 11, -1} {
		if _, err := Generate(Numeric, n); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("Generate(Numeric, %d): err %v, want ErrInvalidOptions", n, err)
		}
	}
	if _, err := Generate(Format(7), 6); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Generate(Format(7)): err %v, want ErrInvalidOptions", err)
	}
}

// chiSquareLimit is a generous upper bound of the chi-square statistic with
// df degrees of freedom that a fair source exceeds with probability about
// 1e-7 (Wilson-Hilferty, z = 5.2), so the test is practically never flaky,
// while a modulo-biased generator (bytes%10 favours 0-5 by 4%) lands far above it.
func chiSquareLimit(df int) float64 {
	k := float64(df)
	const z = 5.2
	return k * math.Pow(1-2/(9*k)+z*math.Sqrt(2/(9*k)), 3)
}

func chiSquare(counts []int, total int) float64 {
	exp := float64(total) / float64(len(counts))
	var x float64
	for _, c := range counts {
		d := float64(c) - exp
		x += d * d / exp
	}
	return x
}

func TestGenerateUniform(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	tests := []struct {
		format   Format
		alphabet string
	}{
		{Numeric, "0123456789"},
		{Hex, "0123456789ABCDEF"},
	}
	for _, tc := range tests {
		t.Run(tc.format.String(), func(t *testing.T) {
			const n, length = 100_000, 6
			perPos := make([][]int, length)
			for i := range perPos {
				perPos[i] = make([]int, len(tc.alphabet))
			}
			all := make([]int, len(tc.alphabet))
			for range n {
				code, err := Generate(tc.format, length)
				if err != nil {
					t.Fatal(err)
				}
				for i := range length {
					d := strings.IndexByte(tc.alphabet, code[i])
					perPos[i][d]++
					all[d]++
				}
			}
			limit := chiSquareLimit(len(tc.alphabet) - 1)
			if x := chiSquare(all, n*length); x > limit {
				t.Errorf("digit counts %v: chi-square %.1f > %.1f: not uniform", all, x, limit)
			}
			for i, c := range perPos {
				if x := chiSquare(c, n); x > limit {
					t.Errorf("position %d counts %v: chi-square %.1f > %.1f", i, c, x, limit)
				}
			}
		})
	}
	// Every one of the 10,000 four-digit codes is equally likely (joint
	// distribution, not only each position).
	t.Run("joint", func(t *testing.T) {
		const n = 300_000
		counts := make([]int, 10_000)
		for range n {
			code, err := Generate(Numeric, 4)
			if err != nil {
				t.Fatal(err)
			}
			v := 0
			for _, c := range code {
				v = v*10 + int(c-'0')
			}
			counts[v]++
		}
		if x, limit := chiSquare(counts, n), chiSquareLimit(len(counts)-1); x > limit {
			t.Errorf("4-digit codes: chi-square %.1f > %.1f: not uniform", x, limit)
		}
	})
}

// TestChiSquareDetectsModuloBias shows the uniformity test has teeth: the
// naive byte%10 generator fails it.
func TestChiSquareDetectsModuloBias(t *testing.T) {
	counts := make([]int, 10)
	total := 0
	for rep := 0; rep < 2400; rep++ { // 2400 passes over all 256 byte values = 614,400 digits
		for b := range 256 {
			counts[b%10]++
			total++
		}
	}
	if x, limit := chiSquare(counts, total), chiSquareLimit(9); x <= limit {
		t.Fatalf("biased counts %v: chi-square %.1f <= %.1f; the test would not catch modulo bias", counts, x, limit)
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct {
		format  Format
		in, out string
		bad     bool
	}{
		{Numeric, "123456", "123456", false},
		{Numeric, " 123 456 ", "123456", false},
		{Numeric, "123-456", "123456", false},
		{Numeric, "12\t34\u00a056", "123456", false},
		{Numeric, "12345", "12345", false}, // wrong length is a wrong code, not bad input
		{Numeric, "12a456", "", true},
		{Numeric, "", "", true},
		{Numeric, " - ", "", true},
		{Numeric, "12345678901", "", true},
		{Numeric, strings.Repeat("1", 1000), "", true},
		{Numeric, "١٢٣٤٥٦", "", true}, // Arabic-Indic digits are not ASCII digits
		{Hex, "ab12ef", "AB12EF", false},
		{Hex, "AB-12 eF", "AB12EF", false},
		{Hex, "ABG123", "", true},
	}
	for _, tc := range tests {
		got, err := NormalizeCode(tc.format, tc.in)
		if tc.bad {
			if !errors.Is(err, ErrInvalidCode) {
				t.Errorf("NormalizeCode(%v, %q) = %q, %v; want ErrInvalidCode", tc.format, tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.out {
			t.Errorf("NormalizeCode(%v, %q) = %q, %v; want %q", tc.format, tc.in, got, err, tc.out)
		}
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "12 34-56", "ab-CD", "", "\xff", "1\u00a02"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, hex bool) {
		format := Numeric
		alphabet := "0123456789"
		if hex {
			format, alphabet = Hex, "0123456789ABCDEF"
		}
		out, err := NormalizeCode(format, in)
		if err != nil {
			if !errors.Is(err, ErrInvalidCode) {
				t.Fatalf("error %v does not wrap ErrInvalidCode", err)
			}
			if strings.ContainsAny(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if out == "" || len(out) > MaxLength || strings.Trim(out, alphabet) != "" {
			t.Fatalf("NormalizeCode(%q) = %q: not a code", in, out)
		}
		if again, err := NormalizeCode(format, out); err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
	})
}

func TestSpoken(t *testing.T) {
	for in, want := range map[string]string{"123456": "1, 2, 3, 4, 5, 6", "A0F": "A, 0, F", "7": "7"} {
		if got := Spoken(in); got != want {
			t.Errorf("Spoken(%q) = %q, want %q", in, got, want)
		}
	}
}
