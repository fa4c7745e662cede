package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/epusdt/epusdt/internal/config"
)

func TestDeploymentGuideListsEveryKey(t *testing.T) {
	doc := readDeploy(t, "../docs/deployment.md")
	def := config.Default()
	for _, f := range def.Fields() {
		if !strings.Contains(doc, "`"+f.Key+"`") {
			t.Errorf("docs/deployment.md does not describe %s (regenerate its table with `epusdt config keys`)", f.Key)
		}
	}
}

var mdLink = regexp.MustCompile(`\]\(([^)#\s]+\.md)(#[^)]*)?\)`)

func TestDocsLinksResolve(t *testing.T) {
	files, err := filepath.Glob("../docs/*.md")
	if err != nil || len(files) < 4 {
		t.Fatalf("docs: %v %v", files, err)
	}
	for _, f := range files {
		for _, m := range mdLink.FindAllStringSubmatch(readDeploy(t, f), -1) {
			if strings.Contains(m[1], "://") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s links to missing %s", f, m[1])
			}
		}
	}
}
