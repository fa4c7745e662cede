package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// EnvPrefix is the prefix of environment variables that override keys.
const EnvPrefix = "EPUSDT_"

// Field describes one configuration key.
type Field struct {
	Key    string
	Secret bool
	Help   string
	unit   string
	value  reflect.Value
	index  int
}

// Loaded is the result of Load: the configuration plus what was noticed on
// the way (unknown keys) and where each value came from.
type Loaded struct {
	Config   Config
	Warnings []string
	Source   map[string]string // key → "default", ".env" or "env"
	File     string            // the .env file read, or "" when none
}

// Load reads the .env file at path (when path is "", ".env" in the working
// directory if it exists) and then every EPUSDT_* variable of environ, on
// top of Default(). It returns an error naming the key and the bad value on
// any invalid input; unknown keys only produce warnings.
func Load(path string, environ []string) (*Loaded, error) {
	l := &Loaded{Config: Default(), Source: map[string]string{}}
	fields := l.Config.fields()
	for k := range fields {
		l.Source[k] = "default"
	}
	explicit := path != ""
	if path == "" {
		path = ".env"
	}
	f, err := os.Open(path)
	switch {
	case err == nil:
		defer f.Close()
		kv, err := parseDotenv(f, path)
		if err != nil {
			return nil, err
		}
		l.File = path
		for _, p := range kv {
			if err := l.set(fields, p.key, p.val, ".env", fmt.Sprintf("%s:%d", path, p.line)); err != nil {
				return nil, err
			}
		}
	case explicit || !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("config: open %s: %w", path, err)
	}
	for _, e := range environ {
		name, val, ok := strings.Cut(e, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || strings.HasPrefix(name, EnvPrefix+"TEST_") {
			continue // EPUSDT_TEST_* belong to the test suites, not to the gateway
		}
		key := strings.ToLower(strings.TrimPrefix(name, EnvPrefix))
		if err := l.set(fields, key, val, "env", name); err != nil {
			return nil, err
		}
	}
	if err := l.Config.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Loaded) set(fields map[string]Field, key, val, source, where string) error {
	key = strings.ToLower(strings.TrimSpace(key))
	f, ok := fields[key]
	if !ok {
		l.Warnings = append(l.Warnings, fmt.Sprintf("unknown config key %q (%s) ignored", key, where))
		return nil
	}
	if err := assign(f, strings.TrimSpace(val)); err != nil {
		shown := val
		if f.Secret {
			shown = Mask(val)
		}
		return fmt.Errorf("config: %s: invalid value %q (%s): %v", key, shown, where, err)
	}
	l.Source[key] = source
	return nil
}

// Fields lists every key of c in declaration order, bound to c's fields.
func (c *Config) Fields() []Field {
	m := c.fields()
	out := make([]Field, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}

func (c *Config) fields() map[string]Field {
	out := map[string]Field{}
	walk(reflect.ValueOf(c).Elem(), "", out)
	return out
}

func walk(v reflect.Value, prefix string, out map[string]Field) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		fv := v.Field(i)
		if key, ok := sf.Tag.Lookup("key"); ok {
			out[prefix+key] = Field{Key: prefix + key, Secret: sf.Tag.Get("secret") == "true",
				Help: sf.Tag.Get("help"), unit: sf.Tag.Get("unit"), value: fv, index: len(out)}
			continue
		}
		if sf.Type.Kind() == reflect.Struct && sf.Type != reflect.TypeOf(decimal.Decimal{}) {
			walk(fv, prefix+sf.Tag.Get("prefix"), out)
		}
	}
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	decimalType  = reflect.TypeOf(decimal.Decimal{})
)

func assign(f Field, s string) error {
	v := f.value
	switch {
	case v.Type() == durationType:
		d, err := parseDuration(s, f.unit)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case v.Type() == decimalType:
		if s == "" {
			s = "0"
		}
		d, err := decimal.NewFromString(s)
		if err != nil {
			return errors.New("not a decimal number")
		}
		v.Set(reflect.ValueOf(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("not a whole number")
		}
		v.SetInt(n)
	case v.Kind() == reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("not a whole number ≥ 0")
		}
		v.SetUint(n)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		v.Set(reflect.ValueOf(splitList(s)))
	default:
		return fmt.Errorf("unsupported field type %s", v.Type())
	}
	return nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, errors.New("not a boolean (true/false)")
}

// parseDuration accepts a Go duration ("500ms", "3s", "10m") or a bare
// number in the key's unit (seconds unless the key says otherwise).
func parseDuration(s, unit string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n < 0 {
			return 0, errors.New("must not be negative")
		}
		mult := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
		if mult == 0 {
			mult = time.Second
		}
		return time.Duration(n * float64(mult)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration (e.g. 500ms, 3s, 10m, or a bare number)")
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type pair struct {
	key, val string
	line     int
}

// parseDotenv reads KEY=VALUE lines: blank lines and # comments are skipped,
// an optional "export " prefix is allowed, values may be quoted.
func parseDotenv(r io.Reader, name string) ([]pair, error) {
	var out []pair
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("config: %s:%d: expected KEY=VALUE", name, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out = append(out, pair{key: k, val: v, line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config: read %s: %w", name, err)
	}
	return out, nil
}

// Mask hides a secret, keeping only enough to recognise it.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 8 {
		return "****"
	}
	return s[:2] + "****" + s[len(s)-2:]
}

// Effective lists key=value lines of c with secrets masked, for display.
func (c *Config) Effective() []string {
	var out []string
	for _, f := range c.Fields() {
		val := display(f.value)
		if f.Secret {
			val = Mask(val)
		}
		out = append(out, f.Key+"="+val)
	}
	return out
}

func display(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.String()
	case decimal.Decimal:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	}
	return fmt.Sprint(v.Interface())
}

// Value returns the current value of key (nil when unknown).
func (c *Config) Value(key string) any {
	f, ok := c.fields()[key]
	if !ok {
		return nil
	}
	return f.value.Interface()
}
