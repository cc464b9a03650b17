## Crossed subject x item design used by the Kenward-Roger timing table (time_kr.R)
## and by the `crossed` reference case (make_inference.R, n = 500).
## Sourced by both scripts; defines make_kr_data(n) only.
##
##   n_items = 20 items, n_subj = n / 20 subjects; every subject sees every item once.
##   Row order: subject-major (s = 1..n_subj, within it item i = 1..20).
##   cond  = c("A", "B", "C")[(s + i) %% 3 + 1]        (3-level fixed factor)
##   set.seed(n), then, in this order:
##     u = rnorm(n_subj, sd = 30)   subject effects
##     w = rnorm(n_items, sd = 20)  item effects
##     x = round(rnorm(n), 3)       numeric covariate
##     e = rnorm(n, sd = 40)        residuals
##   y = round(500 + c(A = 0, B = 15, C = -10)[cond] + 5 * x + u[s] + w[i] + e, 2)
##   subj = sprintf("s%04d", s), item = sprintf("i%02d", i)
## The CSVs are written out, so nothing needs to reproduce R's RNG.

make_kr_data <- function(n, n_items = 20) {
  stopifnot(n %% n_items == 0)
  n_subj <- n / n_items
  s <- rep(seq_len(n_subj), each = n_items)
  i <- rep(seq_len(n_items), times = n_subj)
  cond <- c("A", "B", "C")[(s + i) %% 3 + 1]
  set.seed(n)
  u <- rnorm(n_subj, sd = 30)
  w <- rnorm(n_items, sd = 20)
  x <- round(rnorm(n), 3)
  e <- rnorm(n, sd = 40)
  y <- round(500 + c(A = 0, B = 15, C = -10)[cond] + 5 * x + u[s] + w[i] + e, 2)
  data.frame(y = unname(y), cond = cond, x = x,
             subj = sprintf("s%04d", s), item = sprintf("i%02d", i),
             stringsAsFactors = FALSE)
}
