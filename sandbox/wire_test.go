package sandbox

import "github.com/loyalty-checkout/bff-widget/bff/platform"

// The tests read the sandbox's answers as an independent client of the contract would, with
// encoding/json and plain types of their own (the sandbox writes them with the platform
// package's types).

const (
	ReasonCanUse                        = int(platform.CanUse)
	ReasonNotEnoughPoints               = int(platform.NotEnoughPoints)
	ReasonMinValueNotReached            = int(platform.MinValueNotReached)
	ReasonCashbackNotAvailable          = int(platform.CashbackNotAvailable)
	ReasonValueRewardBiggerThanPurchase = int(platform.ValueRewardBiggerThanPurchase)
	ReasonCustomerNotEnrolled           = int(platform.CustomerNotEnrolled)
)

type LoginItem struct {
	Email       string `json:"Email"`
	Name        string `json:"Name"`
	UserID      string `json:"UserId"`
	SecureToken string `json:"SecureToken"`
}

type RewardJSON struct {
	ID             int64    `json:"Id"`
	Type           int      `json:"Type"`
	Title          string   `json:"Title"`
	Points         int64    `json:"Points"`
	Description    string   `json:"Description"`
	Enabled        bool     `json:"Enabled"`
	DisabledReason *string  `json:"DisabledReason"`
	PointBalance   *int64   `json:"PointBalance"`
	NoPointCost    bool     `json:"NoPointCost"`
	CanUse         bool     `json:"CanUse"`
	UseReason      int      `json:"UseReason"`
	RemainingToUse *float64 `json:"RemainingToUse"`
	MinValueToUse  float64  `json:"MinValueToUse"`
}

type RedeemedRewardJSON struct {
	RedeemedID     int64   `json:"RedeemedId"`
	RedeemedPoints int64   `json:"RedeemedPoints"`
	RedeemedValue  float64 `json:"RedeemedValue"`
	RewardJSON
}

type RedeemResult struct {
	Success       bool               `json:"Success"`
	ResultMessage string             `json:"ResultMessage"`
	Code          *string            `json:"Code"`
	CouponCode    string             `json:"CouponCode"`
	HasCouponCode bool               `json:"HasCouponCode"`
	AfterMessage  string             `json:"AfterMessage"`
	Reward        RedeemedRewardJSON `json:"Reward"`
}

type AppliedState struct {
	Success    bool                `json:"Success"`
	CouponCode *string             `json:"CouponCode"`
	Reward     *RedeemedRewardJSON `json:"Reward"`
}
