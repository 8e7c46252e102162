package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/qunzhu/qunzhu/wxemu"
)

// fileConfig is the YAML shape of wxemu.Config; it exists so that members can be
// written as plain names, which the standard-library-only wxemu package cannot
// decode itself.
type fileConfig struct {
	Self        person  `yaml:"self"`
	AutoConfirm bool    `yaml:"auto_confirm"`
	Groups      []group `yaml:"groups"`
}

type group struct {
	Name    string   `yaml:"name"`
	Members []person `yaml:"members"`
}

// person is a member written either as "张三" or as {name: 张三, attr_status: 1}.
type person wxemu.Person

func (p *person) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&p.Name)
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value != "name" && k.Value != "attr_status" {
				return fmt.Errorf("line %d: member field %q unknown (want name, attr_status)", k.Line, k.Value)
			}
		}
	}
	var full struct {
		Name       string `yaml:"name"`
		AttrStatus int64  `yaml:"attr_status"`
	}
	if err := n.Decode(&full); err != nil {
		return err
	}
	*p = person{Name: full.Name, AttrStatus: full.AttrStatus}
	return nil
}

// loadConfig reads a YAML world description; unknown keys are errors, so a typo
// does not silently drop a group.
func loadConfig(path string) (wxemu.Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return wxemu.Config{}, err
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return wxemu.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	cfg := wxemu.Config{Self: wxemu.Person(fc.Self), AutoConfirm: fc.AutoConfirm}
	for _, g := range fc.Groups {
		gc := wxemu.GroupConfig{Name: g.Name}
		for _, m := range g.Members {
			gc.Members = append(gc.Members, wxemu.Person(m))
		}
		cfg.Groups = append(cfg.Groups, gc)
	}
	return cfg, nil
}
