# The R numbers of tests/test_inference_contrasts_weights.py (lmerTest 3.1-3, emmeans 1.8.4, lme4 1.1-31).
suppressMessages({library(lmerTest); library(emmeans)})
Sys.setlocale("LC_COLLATE", "C")
here <- "tests/data/interface/"
o <- read.csv(paste0(here, "ordered.csv"), colClasses = c(dose = "factor", g = "factor"))
o$Type <- factor(o$Type, levels = c("none", "low", "medium", "high", "extreme"), ordered = TRUE)
d <- read.csv(paste0(here, "sleepstudy_extra.csv"), colClasses = c(Subject = "factor"))
m <- read.csv(paste0(here, "machines.csv"), colClasses = c(Worker = "factor", Machine = "factor"))
show <- function(x) print(format(as.data.frame(x), digits = 10))
show(anova(lmer(y ~ dose * x + (1 | g), o, contrasts = list(dose = "contr.sum")), type = 3))
show(anova(lmer(y ~ Type * x + (1 | g), o), type = 3))
show(summary(emmeans(lmer(y ~ Type + x + (1 | g), o), ~ Type, lmer.df = "satterthwaite")))
show(summary(emmeans(lmer(score ~ Machine + (1 | Worker) + (1 | Worker:Machine), m,
                          contrasts = list(Machine = "contr.sum")), ~ Machine, lmer.df = "satterthwaite")))
show(summary(emmeans(lmer(y ~ dose + poly(x, 2) + (1 | g), o), ~ dose, lmer.df = "satterthwaite")))
show(ranova(lmer(Reaction ~ Days + (1 | Subject), d, weights = w)))
show(ranova(lmer(Reaction ~ Days + offset(off) + (1 | Subject), d)))
f <- lmer(y ~ dose * Type + (1 | g), o, contrasts = list(dose = "contr.helmert"))
show(anova(f, type = 2))
show(anova(f, type = 3))
d2 <- d
d2$Reaction[(seq_len(nrow(d2)) - 1) %% 11 == 3] <- NA
show(ranova(lmer(Reaction ~ Days + (1 | Subject), d2, weights = w, offset = off, subset = Days >= 1,
                 na.action = na.exclude)))
show(summary(emmeans(lmer(score ~ Machine + (1 | Worker), m, subset = Worker != "1"), ~ Machine,
                     lmer.df = "satterthwaite")))
