package platform

import (
	"math"
	"strconv"
)

// UseReason says why a reward can or cannot be used. Go by the NAMES: the comments beside the
// enum in the platform's widget document are shifted by one line and contradict them. 0-7 are
// in the widget document, 8-12 come from the same platform's point-of-sale enum and can reach
// the widget too. Any other value is Unknown, never an error.
type UseReason int

const (
	CanUse UseReason = iota
	NotEnoughPoints
	MinValueNotReached // the cart is below the minimum; RemainingToUse says how much is missing
	CashbackNotAvailable
	NoCustomer
	ValueRewardBiggerThanPurchase
	MinimumPercentPurchaseNotReached
	CustomerNotEnrolled
	CannotUseCumulativeDiscount
	ProductRewardNoApplicableProduct
	ProductRewardUsageLimitReached
	ProductRewardRequiresCheckout
	ProductRewardInvalidConfiguration
)

// UnknownReason is the name of every value outside the enum.
const UnknownReason = "Unknown"

var useReasonNames = [...]string{
	"CanUse",
	"NotEnoughPoints",
	"MinValueNotReached",
	"CashbackNotAvailable",
	"NoCustomer",
	"ValueRewardBiggerThanPurchase",
	"MinimumPercentPurchaseNotReached",
	"CustomerNotEnrolled",
	"CannotUseCumulativeDiscount",
	"ProductRewardNoApplicableProduct",
	"ProductRewardUsageLimitReached",
	"ProductRewardRequiresCheckout",
	"ProductRewardInvalidConfiguration",
}

// UseReasons are the enum's values, in order.
func UseReasons() []UseReason {
	out := make([]UseReason, len(useReasonNames))
	for i := range out {
		out[i] = UseReason(i)
	}
	return out
}

// Known tells whether r is one of the enum's values.
func (r UseReason) Known() bool { return r >= 0 && int(r) < len(useReasonNames) }

// String is the value's name, UnknownReason outside the enum.
func (r UseReason) String() string {
	if !r.Known() {
		return UnknownReason
	}
	return useReasonNames[r]
}

// ReasonNamed is the value of a name of the enum.
func ReasonNamed(name string) (UseReason, bool) {
	for i, n := range useReasonNames {
		if n == name {
			return UseReason(i), true
		}
	}
	return 0, false
}

// Reason is a reward's UseReason field as the platform sent it, kept verbatim: any JSON value
// (it should be one of the enum's integers; anything else is read as Unknown and passed on as
// it came). The zero value is an absent field, written as null.
type Reason string

// ReasonOf is the field for a value of the enum.
func ReasonOf(u UseReason) Reason { return Reason(strconv.Itoa(int(u))) }

// Value reads the field: ok only for an integer of the enum (2 and 2.0 alike).
func (r Reason) Value() (UseReason, bool) {
	if i, err := strconv.Atoi(string(r)); err == nil {
		return UseReason(i), UseReason(i).Known()
	}
	f, err := strconv.ParseFloat(string(r), 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f >= float64(len(useReasonNames)) {
		return 0, false
	}
	return UseReason(f), true
}
