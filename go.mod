module github.com/sluicelog/sluice

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/leodido/go-syslog/v4 v4.5.0
)
