package analysis

import (
	"fmt"
	"math"
)

// Queue holds the steady-state figures of an M/M/c queue: Poisson
// arrivals at rate ArrivalRate (λ), exponential service at rate
// ServiceRate (μ) per server, Servers (c) identical servers, one FIFO
// queue. Times are in the reciprocal unit of the rates (rates per second
// give seconds).
//
//	a = λ/μ (offered load in servers),  ρ = a/c (Utilisation)
//	Erlang B by recursion: B_0 = 1, B_k = a B_{k-1} / (k + a B_{k-1})
//	ProbWait     = C(c, a) = B_c / (1 - ρ (1 - B_c))     (Erlang C)
//	MeanWait     = C(c, a) / (cμ - λ)                    time queued
//	MeanResponse = MeanWait + 1/μ                        queued + served
//
// For c = 1 these reduce to ProbWait = ρ, MeanResponse = 1/(μ - λ).
//
// In shardlab terms a partition behind a lock is roughly an M/M/1 server
// and a pool of c workers an M/M/c one; real service times are not
// exponential, so read the figures as a model to compare measurements
// with, not a prediction.
type Queue struct {
	ArrivalRate, ServiceRate float64
	Servers                  int
	Utilisation              float64
	ProbWait                 float64
	MeanWait                 float64
	MeanResponse             float64
}

// MM1 returns the M/M/1 queue with the given rates (MMc with one server).
// It returns ErrUnstable when arrivalRate >= serviceRate.
func MM1(arrivalRate, serviceRate float64) (Queue, error) {
	return MMc(arrivalRate, serviceRate, 1)
}

// MMc returns the M/M/c queue with the given rates and servers. Rates must
// be positive and finite and servers >= 1 (ErrInvalidArgument); it returns
// ErrUnstable when arrivalRate >= servers*serviceRate.
func MMc(arrivalRate, serviceRate float64, servers int) (Queue, error) {
	if !(arrivalRate > 0) || !(serviceRate > 0) || math.IsInf(arrivalRate, 0) || math.IsInf(serviceRate, 0) {
		return Queue{}, fmt.Errorf("M/M/c: rates λ=%v μ=%v must be positive and finite: %w", arrivalRate, serviceRate, ErrInvalidArgument)
	}
	if servers < 1 {
		return Queue{}, fmt.Errorf("M/M/c: %d servers, need at least 1: %w", servers, ErrInvalidArgument)
	}
	a := arrivalRate / serviceRate
	c := float64(servers)
	rho := a / c
	if rho >= 1 {
		return Queue{}, fmt.Errorf("M/M/%d: λ=%v μ=%v gives utilisation %.4g: %w", servers, arrivalRate, serviceRate, rho, ErrUnstable)
	}
	// The recursion avoids a^c/c!, which overflows for a few hundred servers.
	b := 1.0
	for k := 1; k <= servers; k++ {
		b = a * b / (float64(k) + a*b)
	}
	pWait := b / (1 - rho*(1-b))
	wait := pWait / (c*serviceRate - arrivalRate)
	return Queue{
		ArrivalRate:  arrivalRate,
		ServiceRate:  serviceRate,
		Servers:      servers,
		Utilisation:  rho,
		ProbWait:     pWait,
		MeanWait:     wait,
		MeanResponse: wait + 1/serviceRate,
	}, nil
}

// ResponseTimeSurvival returns P(T > t) for the response time T (queued
// plus served) of a FIFO M/M/c queue. T = W + S with S ~ Exp(μ) and W = 0
// with probability 1-C, else W ~ Exp(θ), θ = cμ - λ; so
//
//	P(T > t) = (1-C) e^{-μt} + C (θ e^{-μt} - μ e^{-θt}) / (θ - μ)   (θ ≠ μ)
//	P(T > t) = (1-C) e^{-μt} + C (1 + μt) e^{-μt}                     (θ = μ)
//
// For c = 1 (C = ρ, θ = μ - λ) this is e^{-(μ-λ)t}: T ~ Exp(μ - λ).
func (q Queue) ResponseTimeSurvival(t float64) float64 {
	if t <= 0 {
		return 1
	}
	mu, c := q.ServiceRate, q.ProbWait
	theta := float64(q.Servers)*mu - q.ArrivalRate
	tail := math.Exp(-mu * t)
	var waited float64
	// Near θ = μ the general form is 0/0; the limit form is exact there and
	// accurate to O((θ-μ)t) nearby.
	if math.Abs(theta-mu) <= 1e-9*mu {
		waited = (1 + mu*t) * math.Exp(-mu*t)
	} else {
		waited = (theta*math.Exp(-mu*t) - mu*math.Exp(-theta*t)) / (theta - mu)
	}
	return (1-c)*tail + c*waited
}

// ResponseTimeQuantile returns the p-quantile (0 < p < 1; 0.99 for p99) of
// the response time. For M/M/1 it is the closed form
//
//	t_p = -ln(1 - p) / (μ - λ).
//
// For M/M/c no closed form exists, but ResponseTimeSurvival is exact, so
// the quantile is found by bisection on it to relative precision 1e-12:
// an exact value, not an approximation. (A common back-of-envelope
// approximation, t_p ≈ 1/μ + ln(C/(1-p))/θ when C > 1-p, ignores the
// service time's spread and underestimates.)
func (q Queue) ResponseTimeQuantile(p float64) (float64, error) {
	if !(p > 0 && p < 1) {
		return 0, fmt.Errorf("response time quantile: p %v outside (0, 1): %w", p, ErrInvalidArgument)
	}
	if q.Servers < 1 || !(q.ServiceRate > 0) || !(q.Utilisation < 1) {
		return 0, fmt.Errorf("response time quantile: queue not built by MM1/MMc: %w", ErrInvalidArgument)
	}
	if q.Servers == 1 {
		return -math.Log(1-p) / (q.ServiceRate - q.ArrivalRate), nil
	}
	target := 1 - p
	lo, hi := 0.0, 1/q.ServiceRate
	for q.ResponseTimeSurvival(hi) > target {
		hi *= 2
	}
	for hi-lo > 1e-12*hi {
		mid := (lo + hi) / 2
		if q.ResponseTimeSurvival(mid) > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, nil
}
