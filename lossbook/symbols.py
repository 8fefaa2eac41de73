"""The sympy symbols shared by every ``symbolic()`` definition.

Using one set of symbols everywhere lets a chapter combine, substitute and
compare the definitions of different losses directly.
"""

import sympy as sp

#: target value :math:`y`
y = sp.Symbol("y", real=True)
#: prediction :math:`\hat y` (a value, probability, score or logit, per loss)
y_hat = sp.Symbol(r"\hat{y}", real=True)
#: logit :math:`z`
z = sp.Symbol("z", real=True)
#: Huber threshold :math:`\delta`
delta = sp.Symbol("delta", positive=True)
#: Smooth-L1 threshold (and quality-focal exponent) :math:`\beta`
beta = sp.Symbol("beta", positive=True)
#: quantile level :math:`q`
q = sp.Symbol("q", positive=True)
#: focal-loss weight :math:`\alpha`
alpha = sp.Symbol("alpha", positive=True)
#: focal-loss exponent :math:`\gamma`
gamma = sp.Symbol("gamma", nonnegative=True)
#: hinge margin :math:`m`
margin = sp.Symbol("m", positive=True)
#: noise scale :math:`\sigma`
sigma = sp.Symbol("sigma", positive=True)
