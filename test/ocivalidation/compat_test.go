package ocivalidation

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// compatSection is the heading of docs/compatibility.md's section that
// lists the validation suite's known failures.
const compatSection = "OCI runtime-tools validation"

// Exception is one row of the known-failures table: an assertion of one
// test program that runc passes here and Cocoon does not, and why.
type Exception struct {
	Program string // e.g. "default", the validation/<name> directory; may hold a '*'
	// Assertion is the assertion's key (see Assertion.Key); a '*' in it
	// matches any run of characters, for a block of assertions that one
	// cause knocks out together.
	Assertion string
	Why       string
	Line      int // in the file, for messages
}

func (e Exception) String() string {
	return fmt.Sprintf("line %d: %s: %q", e.Line, e.Program, e.Assertion)
}

// Matches says whether e covers the assertion key of program.
func (e Exception) Matches(program, key string) bool {
	return starMatch(e.Program, program) && starMatch(e.Assertion, key)
}

// starMatch matches s against pattern, where '*' matches any run of
// characters and every other character only itself (descriptions hold
// brackets, so path.Match's classes would get in the way).
func starMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// ReadExceptions reads the known-failures table from the section of path
// whose heading contains compatSection: rows of | program | assertion |
// why |, cells optionally in backticks, '\|' for a literal bar.
func ReadExceptions(path string) ([]Exception, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseExceptions(string(b))
}

func parseExceptions(doc string) ([]Exception, error) {
	var es []Exception
	in, header := false, 0
	for i, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "#") {
			in = strings.HasPrefix(line, "## ") && strings.Contains(line, compatSection)
			header = 0
			continue
		}
		if !in || !strings.HasPrefix(strings.TrimSpace(line), "|") {
			continue
		}
		cells := splitRow(line)
		if header < 2 { // the column names, then the --- row
			header++
			continue
		}
		if len(cells) != 3 || cells[0] == "" || cells[1] == "" || cells[2] == "" {
			return nil, fmt.Errorf("line %d: want | program | assertion | why |, got %q", i+1, line)
		}
		es = append(es, Exception{Program: cells[0], Assertion: cells[1], Why: cells[2], Line: i + 1})
	}
	return es, nil
}

// unquoteCode returns the text of a cell that is one code span (`x`, or
// ``` `x` ``` for text that holds backticks itself), else the cell.
func unquoteCode(c string) string {
	n := len(c) - len(strings.TrimLeft(c, "`"))
	fence := strings.Repeat("`", n)
	if n == 0 || len(c) < 2*n || !strings.HasSuffix(c, fence) {
		return c
	}
	return strings.TrimSpace(c[n : len(c)-n])
}

// splitRow splits a markdown table row into its trimmed cells, code spans
// unquoted.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	line = strings.ReplaceAll(line, `\|`, "\x00")
	var cells []string
	for _, c := range strings.Split(line, "|") {
		c = strings.TrimSpace(strings.ReplaceAll(c, "\x00", "|"))
		cells = append(cells, unquoteCode(c))
	}
	return cells
}

func TestParseExceptions(t *testing.T) {
	doc := "# Compat\n\n| a | b | c |\n| --- | --- | --- |\n| x | y | z |\n\n" +
		"## OCI runtime-tools validation: known failures\n\n" +
		"| test program | assertion | why |\n| --- | --- | --- |\n" +
		"| `default` | `mounts[0] (/proc) found in order` | no proc, issue 1 |\n" +
		"| `kill` | `a \\| b*` | signals |\n" +
		"| `start` | ``` `start` MUST run ``` | overlay |\n\n## Other\n| p | q | r |\n| - | - | - |\n| 1 | 2 | 3 |\n"
	es, err := parseExceptions(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || es[2].Assertion != "`start` MUST run" || es[0].Program != "default" || es[0].Assertion != "mounts[0] (/proc) found in order" ||
		es[1].Assertion != "a | b*" || es[1].Why != "signals" {
		t.Fatalf("parseExceptions = %+v", es)
	}
	if !es[0].Matches("default", "mounts[0] (/proc) found in order") || es[0].Matches("kill", "mounts[0] (/proc) found in order") {
		t.Errorf("exact match wrong")
	}
	if !es[1].Matches("kill", "a | b and more") || es[1].Matches("kill", "x a | b") {
		t.Errorf("star match wrong")
	}
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"a*c", "abc", true}, {"a*c", "ac", true}, {"a*c", "acb", false},
		{"*", "", true}, {"*x*", "axb", true}, {"*x*", "ab", false}, {"[0]*", "[0] y", true},
	} {
		if got := starMatch(c.pattern, c.s); got != c.want {
			t.Errorf("starMatch(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
	if _, err := parseExceptions("## OCI runtime-tools validation\n| a | b | c |\n|-|-|-|\n| only | two |\n"); err == nil {
		t.Errorf("a short row was accepted")
	}
}

// TestCompatibilityDoc checks that docs/compatibility.md's table parses
// (every row with a reason), without running the suite.
func TestCompatibilityDoc(t *testing.T) {
	root, err := testutil.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	es, err := ReadExceptions(filepath.Join(root, "docs", "compatibility.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatalf("no %q table rows found", compatSection)
	}
}
