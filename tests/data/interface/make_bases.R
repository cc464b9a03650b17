## R's poly() and splines::ns() bases, learned on one x and evaluated on it and on new x (outside its range
## too), for tests/test_splines.py. Run from anywhere: Rscript tests/data/interface/make_bases.R
suppressPackageStartupMessages({
  library(splines)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script)) dirname(normalizePath(script)) else getwd()

x <- c(0.5, 1, 2, 3.25, 4, 5, 6.5, 7, 8, 9.75, 2.5, 7.7, 3, 3)
new_x <- c(-2, 0.5, 4.4, 9.75, 12)
m <- function(b) unname(as.matrix(b))
one <- function(call, b) list(call = call, basis = m(b), new = m(predict(b, new_x)),
                              attributes = lapply(attributes(b)[setdiff(names(attributes(b)), c("dim", "dimnames", "class"))],
                                                  function(a) if (is.list(a)) a else I(unname(a))))
cases <- list(
  poly3 = one("poly(x, 3)", poly(x, 3)),
  poly1 = one("poly(x, 1)", poly(x, 1)),
  ns_df4 = one("ns(x, df = 4)", ns(x, df = 4)),
  ns_df5_intercept = one("ns(x, df = 5, intercept = TRUE)", ns(x, df = 5, intercept = TRUE)),
  ns_knots_boundary = one("ns(x, knots = c(2, 5), Boundary.knots = c(1, 9))",
                          ns(x, knots = c(2, 5), Boundary.knots = c(1, 9))),
  ns_df1 = one("ns(x, df = 1)", ns(x, df = 1))
)
writeLines(toJSON(list(x = x, new_x = new_x, r_version = R.version.string, cases = cases), digits = NA,
                  auto_unbox = TRUE, pretty = TRUE), file.path(out_dir, "bases.json"))
