package check

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/epusdt/epusdt/internal/config"
)

var (
	// keyName matches names of settings or files that hold wallet keys.
	keyName = regexp.MustCompile(`(?i)(^|[_.-])(private[_-]?key|priv[_-]?key|privkey|secret[_-]?key|mnemonic|seed[_-]?phrase|seed|keystore|wallet[_-]?key)($|[_.-])`)
	// rawKey is a bare secp256k1 private key as wallets export it.
	rawKey = regexp.MustCompile(`^(0x)?[0-9a-fA-F]{64}$`)
	// mnemonicWords is a BIP-39 style phrase.
	mnemonicWords = regexp.MustCompile(`^([a-z]{3,8}\s+){11,23}[a-z]{3,8}$`)
)

const (
	scanMaxDepth   = 3
	scanMaxEntries = 20000
	scanMaxSize    = 64 << 10
)

func looksLikeKeyValue(v string) bool {
	v = strings.TrimSpace(strings.Trim(strings.TrimSpace(v), `"'`))
	if rawKey.MatchString(v) {
		return true
	}
	words := strings.Fields(v)
	return (len(words) == 12 || len(words) == 15 || len(words) == 18 || len(words) == 21 || len(words) == 24) &&
		mnemonicWords.MatchString(strings.Join(words, " "))
}

func (r *run) checkPrivateKeys() {
	n := r.scanEnvFile() + r.scanEnviron()
	dirs := []string{r.o.WorkDir}
	if rt := r.runtimeDir(); !strings.HasPrefix(rt+string(filepath.Separator), filepath.Clean(r.o.WorkDir)+string(filepath.Separator)) {
		dirs = append(dirs, rt)
	}
	for _, d := range dirs {
		n += r.scanDir(d)
	}
	if n == 0 {
		r.add(PrivateKeys, OK, strings.Join(dirs, ", "), "no private keys or seed phrases found in the configuration or these directories")
	}
}

// knownKeys are the configuration's own keys: their values are secrets of
// the gateway (random tokens look like raw keys) and are checked elsewhere.
func knownKeys() map[string]bool {
	d := config.Default()
	out := map[string]bool{}
	for _, f := range d.Fields() {
		out[f.Key] = true
	}
	return out
}

// flagSetting reports a setting that holds or names a private key; it
// returns 1 when it did.
func (r *run) flagSetting(where, name, value string, known map[string]bool) int {
	key := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(name, "export "), config.EnvPrefix))
	if known[key] {
		return 0
	}
	if keyName.MatchString(key) || (value != "" && looksLikeKeyValue(value)) {
		r.add(PrivateKeys, Error, where+" "+name, "looks like a wallet private key or seed phrase in plaintext: the gateway never needs one; remove it and keep keys in a hardware or offline wallet")
		return 1
	}
	return 0
}

func (r *run) scanEnvFile() int {
	if r.o.EnvFile == "" {
		return 0
	}
	f, err := os.Open(r.abs(r.o.EnvFile))
	if err != nil {
		return 0
	}
	defer f.Close()
	known, n := knownKeys(), 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		n += r.flagSetting(r.o.EnvFile, strings.TrimSpace(k), v, known)
	}
	return n
}

func (r *run) scanEnviron() int {
	known, n := knownKeys(), 0
	for _, e := range r.o.Environ {
		k, v, _ := strings.Cut(e, "=")
		if !strings.HasPrefix(k, config.EnvPrefix) {
			v = "" // other programs' variables: judged by name only
		}
		n += r.flagSetting("environment", k, v, known)
	}
	return n
}

// scanDir walks dir (a few levels deep, skipping logs and VCS folders) for
// files that hold private keys.
func (r *run) scanDir(dir string) int {
	skip := map[string]bool{
		filepath.Join(r.runtimeDir(), strings.TrimPrefix(r.cfg.LogSavePath, "/")): true,
	}
	if r.cfg.Ops.BackupDir != "" {
		skip[r.abs(r.cfg.Ops.BackupDir)] = true
	}
	envAbs := ""
	if r.o.EnvFile != "" {
		envAbs = r.abs(r.o.EnvFile)
	}
	n, seen := 0, 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if seen++; seen > scanMaxEntries {
			return filepath.SkipAll
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			depth := strings.Count(rel, string(filepath.Separator)) + 1
			if p != dir && (skip[p] || d.Name() == ".git" || d.Name() == "node_modules" || depth > scanMaxDepth) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && p != envAbs {
			n += r.inspectFile(p)
		}
		return nil
	})
	return n
}

// inspectFile reports one file that holds key material; it returns 1 when it did.
func (r *run) inspectFile(p string) int {
	name := strings.ToLower(filepath.Base(p))
	if filepath.Dir(p) == r.runtimeDir() {
		for _, g := range generatedSecrets {
			if name == g {
				return 0
			}
		}
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Size() > scanMaxSize {
		return 0
	}
	f, err := os.Open(p)
	if err != nil {
		return 0
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, scanMaxSize))
	if err != nil {
		return 0
	}
	level, what := classify(name, b)
	if level == OK {
		return 0
	}
	r.add(PrivateKeys, level, p, "%s: the gateway needs no private keys; move it off this host (TLS keys belong to nginx, e.g. /etc/ssl/private, mode 600)", what)
	return 1
}

// classify says what key material a file holds, judged by content first
// and then by name.
func classify(name string, b []byte) (Level, string) {
	text := strings.TrimSpace(string(b))
	switch {
	case bytes.Contains(b, []byte("PRIVATE KEY-----")) && (bytes.Contains(b, []byte("ENCRYPTED")) || bytes.Contains(b, []byte("Proc-Type: 4,ENCRYPTED"))):
		return Warn, "encrypted PEM private key"
	case bytes.Contains(b, []byte("PRIVATE KEY-----")):
		return Error, "plaintext PEM private key"
	case looksLikeKeyValue(text):
		return Error, "plaintext wallet private key or seed phrase"
	case bytes.Contains(b, []byte(`"ciphertext"`)) && (bytes.Contains(b, []byte(`"crypto"`)) || bytes.Contains(b, []byte(`"Crypto"`))):
		return Warn, "wallet keystore file (encrypted, but its password is one guess away from the funds)"
	case strings.HasPrefix(name, "utc--") || keyName.MatchString(name):
		return Warn, "file named like key material"
	}
	return OK, ""
}
