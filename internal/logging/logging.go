// Package logging builds the gateway's zap logger: JSON lines to a
// lumberjack-rotated file under the runtime directory, human-readable
// console output in debug mode, and a core that masks every configured
// secret wherever it would appear in a message or a string field.
package logging

import (
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Options configures New.
type Options struct {
	Dir        string // directory of the log file
	MaxSizeMB  int
	MaxAgeDays int
	MaxBackups int
	Debug      bool     // console output + debug level
	Secrets    []string // values masked in every line
}

// New returns a logger and a function that flushes and closes its file.
func New(o Options) (*zap.Logger, func(), error) {
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, nil, err
	}
	rot := &lumberjack.Logger{
		Filename:   filepath.Join(o.Dir, "epusdt.log"),
		MaxSize:    max(o.MaxSizeMB, 1),
		MaxAge:     o.MaxAgeDays,
		MaxBackups: o.MaxBackups,
		Compress:   false,
	}
	level := zapcore.InfoLevel
	if o.Debug {
		level = zapcore.DebugLevel
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "time"
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	cores := []zapcore.Core{zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), zapcore.AddSync(rot), level)}
	if o.Debug {
		con := zap.NewDevelopmentEncoderConfig()
		con.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cores = append(cores, zapcore.NewCore(zapcore.NewConsoleEncoder(con), zapcore.Lock(os.Stderr), level))
	} else {
		// Warnings and errors still reach the operator's terminal/journal.
		cores = append(cores, zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), zapcore.Lock(os.Stderr), zapcore.WarnLevel))
	}
	for i := range cores {
		cores[i] = Mask(cores[i], o.Secrets) // per core: a Tee's Write ignores each core's level
	}
	log := zap.New(zapcore.NewTee(cores...), zap.AddCaller())
	return log, func() { _ = log.Sync(); _ = rot.Close() }, nil
}

// Mask wraps core so that every occurrence of a secret (at least 4
// characters long) in the message or a string field is replaced by "****".
func Mask(core zapcore.Core, secrets []string) zapcore.Core {
	var keep []string
	for _, s := range secrets {
		if len(s) >= 4 {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return core
	}
	return &maskCore{Core: core, r: newReplacer(keep)}
}

func newReplacer(secrets []string) *strings.Replacer {
	var pairs []string
	for _, s := range secrets {
		pairs = append(pairs, s, "****")
	}
	return strings.NewReplacer(pairs...)
}

type maskCore struct {
	zapcore.Core
	r *strings.Replacer
}

func (m *maskCore) With(fields []zapcore.Field) zapcore.Core {
	return &maskCore{Core: m.Core.With(m.fields(fields)), r: m.r}
}

func (m *maskCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if m.Enabled(e.Level) {
		return ce.AddCore(e, m)
	}
	return ce
}

func (m *maskCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = m.r.Replace(e.Message)
	return m.Core.Write(e, m.fields(fields))
}

func (m *maskCore) fields(fs []zapcore.Field) []zapcore.Field {
	out := make([]zapcore.Field, len(fs))
	for i, f := range fs {
		switch f.Type {
		case zapcore.StringType:
			f.String = m.r.Replace(f.String)
		case zapcore.ByteStringType:
			if b, ok := f.Interface.([]byte); ok {
				f.Interface = []byte(m.r.Replace(string(b)))
			}
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok {
				f = zap.String(f.Key, m.r.Replace(err.Error()))
			}
		case zapcore.StringerType:
			if s, ok := f.Interface.(interface{ String() string }); ok {
				f = zap.String(f.Key, m.r.Replace(s.String()))
			}
		}
		out[i] = f
	}
	return out
}
