package bff

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Key is one secret of the BFF's keyring, named by ID (the JWT "kid").
type Key struct {
	ID     string
	Secret []byte
}

// ParseKeys reads keys written as "id:base64secret", separated by commas or new lines; the
// first one signs. Blank entries and lines starting with # are skipped.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	var errs []error
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		id, b64, ok := strings.Cut(f, ":")
		if !ok {
			errs = append(errs, fmt.Errorf("key %q: want id:base64secret", redact(f)))
			continue
		}
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			secret, err = base64.RawURLEncoding.DecodeString(strings.TrimSpace(b64))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("key %q: secret is not base64", id))
			continue
		}
		keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: secret})
	}
	return keys, errors.Join(errs...)
}

func redact(s string) string {
	if len(s) > 6 {
		return s[:3] + "…"
	}
	return "…"
}

// RandomKey makes a fresh key. Only for a single process that is the whole deployment (the
// all-in-one demo): tokens signed with it die with the process, and no other replica accepts
// them.
func RandomKey() Key {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return Key{ID: "ephemeral-" + base64.RawURLEncoding.EncodeToString(b[:4]), Secret: b}
}

const (
	tokenIssuer = "loyalty-bff"
	tokenAlg    = "HS256"
	// minSecretLen is the shortest secret: HS256's MAC key is 32 bytes.
	minSecretLen = 32
	// minDistinctBytes: a random 32-byte secret has about 30 distinct byte values, and one
	// with fewer than 16 happens once in more than 10^20 draws. Fewer means a typed or
	// patterned secret.
	minDistinctBytes = 16
	// makeKeyHint says how to make a good secret.
	makeKeyHint = "make one with: openssl rand -base64 32"
)

// weakSecret says why a secret cannot sign tokens, or returns "". Length alone is not
// enough: 32 zero bytes, or "ABC" repeated, are long and guessable.
func weakSecret(b []byte) string {
	if len(b) < minSecretLen {
		return fmt.Sprintf("secret has %d bytes, needs at least %d; %s", len(b), minSecretLen, makeKeyHint)
	}
	var seen [256]bool
	distinct := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct < minDistinctBytes {
		values := "byte values"
		if distinct == 1 {
			values = "byte value"
		}
		return fmt.Sprintf("secret has only %d distinct %s (a random one has about 30): it is not random; %s", distinct, values, makeKeyHint)
	}
	for p := 1; p <= len(b)/2; p++ {
		if bytes.Equal(b[p:], b[:len(b)-p]) {
			return fmt.Sprintf("secret repeats a %d-byte pattern: it is not random; %s", p, makeKeyHint)
		}
	}
	return ""
}

// keyring issues and verifies the BFF's session tokens: HS256 JWTs whose claim "ut" is the
// upstream SecureToken sealed with AES-256-GCM. Both the MAC key and the sealing key are
// derived from one secret with HKDF, so a key is rotated as one unit.
type keyring struct {
	signer *derivedKey
	byID   map[string]*derivedKey
	now    func() time.Time
	ttl    time.Duration
	leeway time.Duration // clock skew allowed between the replica that issued and this one
}

type derivedKey struct {
	id   string
	mac  []byte
	aead cipher.AEAD
}

func newKeyring(keys []Key, ttl, leeway time.Duration, now func() time.Time) (*keyring, error) {
	kr := &keyring{byID: map[string]*derivedKey{}, now: now, ttl: ttl, leeway: leeway}
	for _, k := range keys {
		mac, err := hkdf.Key(sha256.New, k.Secret, nil, "loyalty-bff jwt hs256", 32)
		if err != nil {
			return nil, err
		}
		enc, err := hkdf.Key(sha256.New, k.Secret, nil, "loyalty-bff seal aes-256-gcm", 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(enc)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		dk := &derivedKey{id: k.ID, mac: mac, aead: aead}
		kr.byID[k.ID] = dk
		if kr.signer == nil {
			kr.signer = dk
		}
	}
	if kr.signer == nil {
		return nil, errors.New("no key")
	}
	return kr, nil
}

// sessionClaims are the BFF token's claims: aud = tenant, sub = shopper's UserId.
type sessionClaims struct {
	jwt.RegisteredClaims
	Sealed string `json:"ut"`
}

// aad binds a sealed token to its tenant and shopper: a ciphertext moved into another token
// does not open.
func aad(tenant, subject string) []byte { return []byte(tenant + "\x00" + subject) }

// issue makes a token for a shopper of a tenant, carrying the sealed upstream token.
func (kr *keyring) issue(tenant, subject, upstreamToken string) (string, time.Time, error) {
	now := kr.now()
	exp := now.Add(kr.ttl)
	k := kr.signer
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(upstreamToken)+k.aead.Overhead())
	_, _ = rand.Read(nonce)
	sealed := k.aead.Seal(nonce, nonce, []byte(upstreamToken), aad(tenant, subject))
	claims := sessionClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: tokenIssuer, Subject: subject, Audience: jwt.ClaimStrings{tenant},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
		Sealed: base64.RawURLEncoding.EncodeToString(sealed),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = k.id
	s, err := t.SignedString(k.mac)
	return s, exp, err
}

// session is a verified token's content.
type session struct {
	subject       string
	upstreamToken string
	shopper       string // the cache's key: tenant "\x00" subject
}

// verifiedToken is a token that passed verify, and until when it stays valid.
type verifiedToken struct {
	tenant  string
	sess    session
	validTo time.Time // exp plus the leeway: refused from then on
}

func (v *verifiedToken) size() int64 {
	return int64(len(v.tenant)+len(v.sess.subject)+len(v.sess.upstreamToken)+len(v.sess.shopper)) + 128
}

func shopperKey(tenant, subject string) string { return tenant + "\x00" + subject }

// verify checks signature, algorithm, issuer, expiry and that the audience is the tenant, then
// unseals the upstream token. Times (exp, nbf, iat) are checked with the leeway: a token
// issued by a replica whose clock is a little ahead is not "used before issued" here.
func (kr *keyring) verify(token, tenant string) (*verifiedToken, error) {
	var claims sessionClaims
	var key *derivedKey
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key = kr.byID[kid]
		if key == nil {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		return key.mac, nil
	}, jwt.WithValidMethods([]string{tokenAlg}), jwt.WithAudience(tenant), jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(kr.leeway), jwt.WithTimeFunc(kr.now))
	if err != nil {
		return nil, err
	}
	sealed, err := base64.RawURLEncoding.DecodeString(claims.Sealed)
	ns := key.aead.NonceSize()
	if err != nil || len(sealed) < ns {
		return nil, errors.New("sealed token malformed")
	}
	plain, err := key.aead.Open(nil, sealed[:ns], sealed[ns:], aad(tenant, claims.Subject))
	if err != nil {
		return nil, fmt.Errorf("sealed token does not open: %w", err)
	}
	return &verifiedToken{
		tenant:  tenant,
		sess:    session{subject: claims.Subject, upstreamToken: string(plain), shopper: shopperKey(tenant, claims.Subject)},
		validTo: claims.ExpiresAt.Add(kr.leeway),
	}, nil
}

// session verifies a token for a tenant, or takes it from the cache: a token verified once
// is the same bytes under the same keys, so only its time can make it invalid, and the cache
// never keeps it past exp plus the leeway.
func (s *Server) session(token, tenant string) (session, error) {
	if c := s.cache; c != nil {
		if v := c.token(token); v != nil && v.tenant == tenant {
			return v.sess, nil
		}
	}
	v, err := s.keys.verify(token, tenant)
	if err != nil {
		return session{}, err
	}
	if c := s.cache; c != nil {
		c.putToken(strings.Clone(token), v, v.validTo.Sub(s.o.Now()))
	}
	return v.sess, nil
}

// tenantOf is the store's key in a shopper key.
func tenantOf(shopper string) string {
	if i := strings.IndexByte(shopper, 0); i >= 0 {
		return shopper[:i]
	}
	return shopper
}
