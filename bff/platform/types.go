package platform

import (
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The wire types follow the contract field for field (PascalCase, as the platform writes
// them). Unknown keeps the members a type has no field for and writes them back where they
// were. Fields marked "added by the BFF" are never sent by the platform: empty, they are left
// out; a member of the same name from the platform lands in them (and the BFF replaces it)
// rather than being written twice.

// Envelope wraps every answer.
type Envelope[T any] struct {
	// ProgramName and PointsBalance come with the listing and the applied state only.
	ProgramName   *string `json:"ProgramName,omitzero"`
	PointsBalance Number  `json:"PointsBalance,omitzero"`
	HasError      bool    `json:"HasError"`
	// Message is a sentence for the shopper (Portuguese on the real platform), or null.
	Message *string `json:"Message"`
	Item    T       `json:"Item"`
	// ErrorCode is added by the BFF to every error it answers.
	ErrorCode string `json:"ErrorCode,omitzero"`
	// UseReasonName is added by the BFF to a refused redeem it explains.
	UseReasonName string         `json:"UseReasonName,omitzero"`
	Unknown       jsontext.Value `json:",embed"`
}

// Failed tells whether an answer with this status is an error: a status from 300 up, or
// HasError.
func (e *Envelope[T]) Failed(status int) bool { return status >= 300 || e.HasError }

// LoginRequest is the body of the secure login (endpoint 1).
type LoginRequest struct {
	SessionToken string `json:"sessionToken"`
	SegmentToken string `json:"segmentToken"`
}

// LoginItem is the Item of the secure login. SecureToken is valid for 60 minutes.
type LoginItem struct {
	Email       string `json:"Email"`
	Name        string `json:"Name"`
	UserID      string `json:"UserId"`
	SecureToken string `json:"SecureToken"`
	// ExpiresAt (RFC 3339) is added by the BFF, with its own token in SecureToken.
	ExpiresAt string         `json:"ExpiresAt,omitzero"`
	Unknown   jsontext.Value `json:",embed"`
}

// Reward is a reward as the checkout listing (endpoint 2) shows it. Type: 0 percentage, 1
// fixed, 3 cashback, 4 custom, 5 product discount; any other value is passed on.
type Reward struct {
	ID             int64   `json:"Id"`
	Type           int     `json:"Type"`
	Title          string  `json:"Title"`
	Points         Number  `json:"Points"`
	Description    *string `json:"Description"`
	Enabled        bool    `json:"Enabled"`
	DisabledReason *string `json:"DisabledReason"`
	PointBalance   Number  `json:"PointBalance"`
	NoPointCost    bool    `json:"NoPointCost"`
	CanUse         bool    `json:"CanUse"`
	UseReason      Reason  `json:"UseReason"`
	RemainingToUse Number  `json:"RemainingToUse"` // with MinValueNotReached: what the cart lacks
	MinValueToUse  Number  `json:"MinValueToUse"`
	// UseReasonName and UseReasonMessage are added by the BFF: the enum's name and a sentence
	// for the shopper, in their language.
	UseReasonName    string         `json:"UseReasonName,omitzero"`
	UseReasonMessage string         `json:"UseReasonMessage,omitzero"`
	Unknown          jsontext.Value `json:",embed"`
}

// RedeemedReward is a reward the shopper has redeemed and not used (endpoint 3): the Reward's
// fields and the redemption's. Use RedeemedID, not ID, for endpoints 5 and 7. RedeemedPoints
// is negative (a debit). The redemption's fields are left out when the platform leaves them
// out (the applied state's Reward is documented as a plain Reward).
type RedeemedReward struct {
	RedeemedID     Number `json:"RedeemedId,omitzero"`
	RedeemedPoints Number `json:"RedeemedPoints,omitzero"`
	RedeemedValue  Number `json:"RedeemedValue,omitzero"`
	Reward
}

// RedeemResult is the Item of endpoints 4 and 5 (the envelope's Message says "Tudo Certo!
// ...").
type RedeemResult struct {
	Success       bool            `json:"Success"`
	ResultMessage *string         `json:"ResultMessage"`
	Code          *string         `json:"Code"`
	CouponCode    *string         `json:"CouponCode"`
	HasCouponCode bool            `json:"HasCouponCode"`
	AfterMessage  *string         `json:"AfterMessage"`
	Reward        *RedeemedReward `json:"Reward"`
	Unknown       jsontext.Value  `json:",embed"`
}

// AppliedState is the Item of endpoints 6 and 7: what is applied to a cart. Without a reward
// applied, Success is false and the rest null.
type AppliedState struct {
	Success    bool            `json:"Success"`
	CouponCode *string         `json:"CouponCode"`
	Reward     *RedeemedReward `json:"Reward"`
	Unknown    jsontext.Value  `json:",embed"`
}

// RedeemRequest is the optional body of endpoints 4 and 5: the cart id, the key that makes a
// retry redeem once.
type RedeemRequest struct {
	OriginalID string `json:"OriginalId"`
}

// AppliedRequest is the optional body of endpoint 6.
type AppliedRequest struct {
	CheckoutCode string `json:"CheckoutCode"`
}

// Number is a JSON number as the platform wrote it ("30.00" stays "30.00": no float on the
// way), or "null". The zero value is an absent field: left out under omitzero, written null
// otherwise.
type Number string

// Int is the Number of an integer.
func Int(n int64) Number { return Number(strconv.FormatInt(n, 10)) }

// Cents is the Number of an amount in cents, written as the shortest decimal (1050 -> 10.5).
func Cents(c int64) Number { return Number(strconv.FormatFloat(float64(c)/100, 'f', -1, 64)) }

// Null tells whether the field is null or absent.
func (n Number) Null() bool { return n == "" || n == "null" }

// Int64 reads an integer (301, or 301.0).
func (n Number) Int64() (int64, bool) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// MarshalJSONTo writes the number as it came.
func (n Number) MarshalJSONTo(enc *jsontext.Encoder) error {
	if n.Null() {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteValue(jsontext.Value(n))
}

// UnmarshalJSONFrom reads a number or null; anything else is an error.
func (n *Number) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case '0':
		*n = Number(v)
	case 'n':
		*n = "null"
	default:
		return fmt.Errorf("want a number, got %.40s", v)
	}
	return nil
}

// MarshalJSONTo writes the field as it came.
func (r Reason) MarshalJSONTo(enc *jsontext.Encoder) error {
	if r == "" {
		return enc.WriteToken(jsontext.Null)
	}
	return enc.WriteValue(jsontext.Value(r))
}

// UnmarshalJSONFrom keeps any JSON value.
func (r *Reason) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*r = Reason(v)
	return nil
}

// Options are how the wire types are written and read: nil lists and maps are null (as the
// platform writes them), and invalid UTF-8 in the platform's strings is replaced, not fatal.
// A member named twice is refused: which one the platform meant is anyone's guess.
var Options = json.JoinOptions(json.FormatNilSliceAsNull(true), json.FormatNilMapAsNull(true), jsontext.AllowInvalidUTF8(true))

// Marshal writes v with Options.
func Marshal(v any) ([]byte, error) { return json.Marshal(v, Options) }

// Unmarshal reads b into v with Options.
func Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v, Options) }
