package sandbox

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// Reward types of the contract. Other values are passed through untouched.
const (
	TypePercent  = 0
	TypeFixed    = 1
	TypeCashback = 3
	TypeCustom   = 4
	TypeProduct  = 5
)

// Seed is the sandbox's starting state: the tenants, their shoppers and rewards. Its JSON form
// is documented in the README.
type Seed struct {
	Tenants []SeedTenant `json:"tenants"`
}

// SeedTenant is one store.
type SeedTenant struct {
	Key         string        `json:"key"`
	ProgramName string        `json:"programName"`
	RateLimit   *RateLimit    `json:"rateLimit,omitempty"`
	Shoppers    []SeedShopper `json:"shoppers"`
	Rewards     []SeedReward  `json:"rewards"`
}

// RateLimit caps the calls a tenant may make per window; a zero field means no cap for that
// window.
type RateLimit struct {
	PerSecond int `json:"perSecond"`
	PerMinute int `json:"perMinute"`
	PerHour   int `json:"perHour"`
}

// SeedShopper is one shopper. SessionToken is what the storefront would hand to secure login
// (the value of VTEX's vtex_session cookie).
type SeedShopper struct {
	SessionToken string  `json:"sessionToken"`
	UserID       string  `json:"userId"`
	Name         string  `json:"name"`
	Email        string  `json:"email"`
	Points       int64   `json:"points"`
	Cashback     float64 `json:"cashback"`
	Enrolled     bool    `json:"enrolled"`
}

// SeedReward is one reward of the programme. Value is the percentage for type 0, the amount
// in currency for type 1, and the most cashback one redemption may use for type 3 (0: all of
// the shopper's balance).
type SeedReward struct {
	ID             int64   `json:"id"`
	Type           int     `json:"type"`
	Title          string  `json:"title"`
	Description    string  `json:"description"`
	Points         int64   `json:"points"`
	Value          float64 `json:"value"`
	MinValueToUse  float64 `json:"minValueToUse"`
	Enabled        bool    `json:"enabled"`
	DisabledReason string  `json:"disabledReason,omitempty"`
}

//go:embed seed.json
var defaultSeedJSON []byte

// DefaultSeed returns the built-in seed: one tenant, "demo", whose shoppers and rewards cover
// every UseReason the sandbox computes.
func DefaultSeed() Seed {
	s, err := ParseSeed(defaultSeedJSON)
	if err != nil {
		panic("sandbox: built-in seed is invalid: " + err.Error())
	}
	return s
}

// LoadSeed reads and validates a seed file.
func LoadSeed(path string) (Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("sandbox seed: %w", err)
	}
	s, err := ParseSeed(b)
	if err != nil {
		return Seed{}, fmt.Errorf("sandbox seed %s: %w", path, err)
	}
	return s, nil
}

// ParseSeed decodes a seed strictly (unknown fields are errors) and validates it, reporting
// every problem at once.
func ParseSeed(b []byte) (Seed, error) {
	var s Seed
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Seed{}, fmt.Errorf("invalid JSON: %w", err)
	}
	return s, s.Validate()
}

// Validate returns every problem of the seed joined in one error, or nil.
func (s Seed) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(s.Tenants) == 0 {
		bad("no tenants")
	}
	keys := map[string]bool{}
	for i, t := range s.Tenants {
		where := fmt.Sprintf("tenants[%d]", i)
		if t.Key == "" {
			bad("%s: key is empty", where)
		} else if keys[t.Key] {
			bad("%s: key %q appears twice", where, t.Key)
		}
		keys[t.Key] = true
		if rl := t.RateLimit; rl != nil && (rl.PerSecond < 0 || rl.PerMinute < 0 || rl.PerHour < 0) {
			bad("%s: rateLimit values must not be negative", where)
		}
		tokens, users := map[string]bool{}, map[string]bool{}
		for j, sh := range t.Shoppers {
			w := fmt.Sprintf("%s.shoppers[%d]", where, j)
			switch {
			case sh.SessionToken == "":
				bad("%s: sessionToken is empty", w)
			case tokens[sh.SessionToken]:
				bad("%s: sessionToken %q appears twice", w, sh.SessionToken)
			}
			tokens[sh.SessionToken] = true
			switch {
			case sh.UserID == "":
				bad("%s: userId is empty", w)
			case users[sh.UserID]:
				bad("%s: userId %q appears twice", w, sh.UserID)
			}
			users[sh.UserID] = true
			if sh.Points < 0 {
				bad("%s: points must not be negative", w)
			}
			if !validMoney(sh.Cashback) {
				bad("%s: cashback must be a finite amount, not negative", w)
			}
		}
		ids := map[int64]bool{}
		for j, r := range t.Rewards {
			w := fmt.Sprintf("%s.rewards[%d]", where, j)
			switch {
			case r.ID <= 0:
				bad("%s: id must be a positive integer", w)
			case ids[r.ID]:
				bad("%s: id %d appears twice", w, r.ID)
			}
			ids[r.ID] = true
			if r.Title == "" {
				bad("%s: title is empty", w)
			}
			if r.Points < 0 {
				bad("%s: points must not be negative", w)
			}
			if !validMoney(r.Value) {
				bad("%s: value must be a finite amount, not negative", w)
			}
			if r.Type == TypePercent && r.Value > 100 {
				bad("%s: a percentage reward's value must be at most 100", w)
			}
			if !validMoney(r.MinValueToUse) {
				bad("%s: minValueToUse must be a finite amount, not negative", w)
			}
		}
	}
	return errors.Join(errs...)
}

func validMoney(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 && v < 1e12 }

// cents converts an amount in currency to integer cents, the unit the sandbox computes in.
func cents(v float64) int64 { return int64(math.Round(v * 100)) }

// amount converts cents back to currency for JSON.
func amount(c int64) float64 { return float64(c) / 100 }
