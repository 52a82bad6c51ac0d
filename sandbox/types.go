package sandbox

import "time"

// The wire types below follow the contract field for field (PascalCase, as the platform).

// Envelope wraps every answer of the contract.
type Envelope struct {
	HasError bool    `json:"HasError"`
	Message  *string `json:"Message"`
	Item     any     `json:"Item"`
}

// ProgramEnvelope is the envelope of the calls that also carry the programme and balance.
type ProgramEnvelope struct {
	ProgramName   string `json:"ProgramName"`
	PointsBalance *int64 `json:"PointsBalance"`
	Envelope
}

// LoginItem is the Item of secure login.
type LoginItem struct {
	Email       string `json:"Email"`
	Name        string `json:"Name"`
	UserID      string `json:"UserId"`
	SecureToken string `json:"SecureToken"`
}

// RewardJSON is a reward as the checkout listing shows it.
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

// RedeemedRewardJSON is a reward the shopper has redeemed. RedeemedPoints is negative (a
// debit).
type RedeemedRewardJSON struct {
	RedeemedID     int64   `json:"RedeemedId"`
	RedeemedPoints int64   `json:"RedeemedPoints"`
	RedeemedValue  float64 `json:"RedeemedValue"`
	RewardJSON
}

// RedeemResult is the Item of endpoints 4 and 5.
type RedeemResult struct {
	Success       bool               `json:"Success"`
	ResultMessage string             `json:"ResultMessage"`
	Code          *string            `json:"Code"`
	CouponCode    string             `json:"CouponCode"`
	HasCouponCode bool               `json:"HasCouponCode"`
	AfterMessage  string             `json:"AfterMessage"`
	Reward        RedeemedRewardJSON `json:"Reward"`
}

// AppliedState is the Item of endpoints 6 and 7. The sandbox's Reward carries the redeemed
// fields too (RedeemedId among them), a superset of the documented Reward.
type AppliedState struct {
	Success    bool                `json:"Success"`
	CouponCode *string             `json:"CouponCode"`
	Reward     *RedeemedRewardJSON `json:"Reward"`
}

// LedgerEntry is one movement of a shopper's balance.
type LedgerEntry struct {
	At            time.Time `json:"At"`
	Kind          string    `json:"Kind"` // "debit" or "credit"
	Points        int64     `json:"Points"`
	Cashback      float64   `json:"Cashback"`
	RedeemedID    int64     `json:"RedeemedId"`
	RewardID      int64     `json:"RewardId"`
	PointsAfter   int64     `json:"PointsAfter"`
	CashbackAfter float64   `json:"CashbackAfter"`
}

// RedemptionView is a redemption as the inspection endpoints show it.
type RedemptionView struct {
	RedeemedID int64     `json:"RedeemedId"`
	RewardID   int64     `json:"RewardId"`
	RewardType int       `json:"RewardType"`
	Title      string    `json:"Title"`
	Points     int64     `json:"Points"`
	Value      float64   `json:"Value"` // percent (type 0), amount (1), cashback used (3)
	CouponCode string    `json:"CouponCode"`
	Cart       string    `json:"Cart"`
	State      string    `json:"State"` // "active", "reversed" or "used"
	At         time.Time `json:"At"`
}

// ShopperView is the inspection endpoint's answer.
type ShopperView struct {
	UserID      string           `json:"UserId"`
	Name        string           `json:"Name"`
	Email       string           `json:"Email"`
	Enrolled    bool             `json:"Enrolled"`
	Points      int64            `json:"Points"`
	Cashback    float64          `json:"Cashback"`
	Ledger      []LedgerEntry    `json:"Ledger"`
	Redemptions []RedemptionView `json:"Redemptions"`
}
