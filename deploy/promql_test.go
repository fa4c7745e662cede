package deploy_test

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// A small PromQL reader, enough to check what promtool would reject in our
// rules and dashboard, and more: balanced brackets and quotes, known
// functions, every metric name known to the gateway, every label in a
// matcher or a by/without/on/ignoring list known on the metrics used.

// promFuncs are PromQL functions and aggregation operators.
var promFuncs = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`abs absent absent_over_time avg avg_over_time bottomk ceil changes clamp clamp_max
 clamp_min count count_over_time count_values day_of_month day_of_week day_of_year days_in_month delta deriv exp floor
 group group_over_time histogram_avg histogram_count histogram_fraction histogram_quantile histogram_sum hour idelta
 increase irate label_join label_replace last_over_time ln log10 log2 max max_over_time min min_over_time minute month
 predict_linear present_over_time quantile quantile_over_time rate resets round scalar sgn sort sort_desc sqrt stddev
 stddev_over_time stdvar stdvar_over_time sum sum_over_time time timestamp topk vector year label_values query_result
 limitk limit_ratio`) {
		promFuncs[f] = true
	}
}

var (
	promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true, "inf": true, "nan": true}
	labelLists   = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}
	labelName    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// exprRefs is what one expression refers to.
type exprRefs struct {
	metrics  map[string]bool            // metric names
	matchers map[string]map[string]bool // metric → labels in its {…} matchers
	grouping map[string]bool            // labels in by/without/on/ignoring/group_* lists
}

type promToken struct {
	kind byte // 'i' identifier, 'n' number, 's' string, 'p' punctuation/operator
	text string
}

func tokenize(expr string) ([]promToken, error) {
	var out []promToken
	r := []rune(expr)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(r) && r[j] != c {
				if r[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, promToken{'s', string(r[i+1 : j])})
			i = j + 1
		case c == '_' || c == ':' || unicode.IsLetter(c):
			j := i
			for j < len(r) && (r[j] == '_' || r[j] == ':' || unicode.IsLetter(r[j]) || unicode.IsDigit(r[j])) {
				j++
			}
			out = append(out, promToken{'i', string(r[i:j])})
			i = j
		case unicode.IsDigit(c) || c == '.':
			j := i
			for j < len(r) && (unicode.IsDigit(r[j]) || unicode.IsLetter(r[j]) || r[j] == '.') {
				j++ // numbers and durations (5m, 1h30m, 1e3)
			}
			out = append(out, promToken{'n', string(r[i:j])})
			i = j
		default:
			out = append(out, promToken{'p', string(c)})
			i++
		}
	}
	return out, nil
}

// parsePromQL checks the structure of expr and returns what it refers to.
func parsePromQL(expr string) (exprRefs, error) {
	refs := exprRefs{metrics: map[string]bool{}, matchers: map[string]map[string]bool{}, grouping: map[string]bool{}}
	if strings.TrimSpace(expr) == "" {
		return refs, fmt.Errorf("empty expression")
	}
	toks, err := tokenize(expr)
	if err != nil {
		return refs, err
	}
	if err := balanced(toks); err != nil {
		return refs, err
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == 'p' && t.text == "[" { // range or subquery: skip to ]
			for i < len(toks) && toks[i].text != "]" {
				i++
			}
			continue
		}
		if t.kind != 'i' {
			continue
		}
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1].text
		}
		switch {
		case labelLists[t.text]:
			if next == "(" {
				j, labels, err := readLabelList(toks, i+2)
				if err != nil {
					return refs, fmt.Errorf("%s: %w", t.text, err)
				}
				for _, l := range labels {
					refs.grouping[l] = true
				}
				i = j
			}
		case promKeywords[strings.ToLower(t.text)]:
		case promFuncs[t.text]:
			if next != "(" && next != "by" && next != "without" {
				return refs, fmt.Errorf("function %s without arguments", t.text)
			}
		case next == "(":
			return refs, fmt.Errorf("unknown function %q", t.text)
		default:
			refs.metrics[t.text] = true
			if next == "{" {
				j, labels, err := readMatchers(toks, i+2)
				if err != nil {
					return refs, fmt.Errorf("%s: %w", t.text, err)
				}
				if refs.matchers[t.text] == nil {
					refs.matchers[t.text] = map[string]bool{}
				}
				for _, l := range labels {
					refs.matchers[t.text][l] = true
				}
				i = j
			}
		}
	}
	if len(refs.metrics) == 0 && !strings.Contains(expr, "time()") && !strings.Contains(expr, "vector(") {
		return refs, fmt.Errorf("no metric in expression")
	}
	return refs, nil
}

func balanced(toks []promToken) error {
	pairs := map[string]string{")": "(", "]": "[", "}": "{"}
	var stack []string
	for _, t := range toks {
		if t.kind != 'p' {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			stack = append(stack, t.text)
		case ")", "]", "}":
			if len(stack) == 0 || stack[len(stack)-1] != pairs[t.text] {
				return fmt.Errorf("unbalanced %q", t.text)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	return nil
}

// readLabelList reads "a, b)" from i and returns the index of ")".
func readLabelList(toks []promToken, i int) (int, []string, error) {
	var labels []string
	for ; i < len(toks); i++ {
		switch t := toks[i]; {
		case t.text == ")":
			return i, labels, nil
		case t.text == ",":
		case t.kind == 'i' && labelName.MatchString(t.text):
			labels = append(labels, t.text)
		default:
			return i, nil, fmt.Errorf("bad label %q in list", t.text)
		}
	}
	return i, nil, fmt.Errorf("unclosed label list")
}

// readMatchers reads `a="x", b=~"y"}` from i and returns the index of "}".
func readMatchers(toks []promToken, i int) (int, []string, error) {
	var labels []string
	for i < len(toks) {
		if toks[i].text == "}" {
			return i, labels, nil
		}
		if toks[i].text == "," {
			i++
			continue
		}
		if toks[i].kind != 'i' || !labelName.MatchString(toks[i].text) {
			return i, nil, fmt.Errorf("bad matcher label %q", toks[i].text)
		}
		labels = append(labels, toks[i].text)
		j := i + 1
		op := ""
		for j < len(toks) && toks[j].kind == 'p' && strings.Contains("=!~", toks[j].text) {
			op += toks[j].text
			j++
		}
		if op != "=" && op != "!=" && op != "=~" && op != "!~" {
			return i, nil, fmt.Errorf("bad matcher operator %q", op)
		}
		if j >= len(toks) || toks[j].kind != 's' {
			return i, nil, fmt.Errorf("matcher %s needs a quoted value", toks[i].text)
		}
		if op == "=~" || op == "!~" {
			if _, err := regexp.Compile("^(?:" + toks[j].text + ")$"); err != nil {
				return i, nil, fmt.Errorf("matcher %s: bad regexp: %v", toks[i].text, err)
			}
		}
		i = j + 1
	}
	return i, nil, fmt.Errorf("unclosed matcher")
}
