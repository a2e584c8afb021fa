"""Calibration forms compared on the shipped model's dev scores (round ten, issue 29): global and per-genre Platt,
beta and cubic-in-logit shapes, isotonic; dev cross-validation (5- and 10-fold, six shuffles). Kept in git history only:
the shipped form lives in movie_genres/calibrate.py. Needs /tmp/cal/raw.npz (dev and validation scores).
"""
# import numpy as np
# from movie_genres.inference import GenreClassifier
# from movie_genres.train import load_splits, targets
# clf = GenreClassifier.load()
# s = load_splits()
# out = {}
# for k in ['dev', 'valid']:
#     out[k+'_p'] = clf.predict_proba(s[k].description.tolist()); out[k+'_y'] = targets(s[k], clf.labels)
# np.savez('/tmp/cal/raw.npz', **out, thresholds=clf.thresholds)
# print({k: v.shape for k, v in out.items()})
import numpy as np
d = np.load('/tmp/cal/raw.npz')
P, Y, PV, YV = d['dev_p'].astype(np.float64), d['dev_y'], d['valid_p'].astype(np.float64), d['valid_y']
logit = lambda p: np.log(np.clip(p,1e-7,1-1e-7)) - np.log1p(-np.clip(p,1e-7,1-1e-7))
sig = lambda z: 1/(1+np.exp(-z))
def ece(p, y, bins=10):
    p, y = p.ravel(), y.ravel(); b = np.minimum((p*bins).astype(int), bins-1)
    return sum(abs(p[b==i].mean()-y[b==i].mean())*(b==i).sum() for i in range(bins) if (b==i).any())/len(p)
def binrows(p, y, bins=10):
    p, y = p.ravel(), y.ravel(); b = np.minimum((p*bins).astype(int), bins-1)
    return [(i, int((b==i).sum()), round(p[b==i].mean(),3), round(y[b==i].mean(),3)) for i in range(bins) if (b==i).any()]
def nll(p, y): p=np.clip(p,1e-7,1-1e-7); return -(y*np.log(p)+(1-y)*np.log(1-p)).mean()
def platt(z, y, a0=1., b0=0., lam=0., iters=50):
    "Newton on mean BCE(sig(a z + b), y) + lam/n ((a-a0)^2+(b-b0)^2)"
    a, b = a0, b0; n = len(z)
    for _ in range(iters):
        p = sig(a*z+b); r = p-y; w = p*(1-p)
        g = np.array([(r*z).sum() + lam*(a-a0), r.sum() + lam*(b-b0)])
        H = np.array([[(w*z*z).sum()+lam, (w*z).sum()], [(w*z).sum(), w.sum()+lam]]) + 1e-9*np.eye(2)
        step = np.linalg.solve(H, g); a, b = a-step[0], b-step[1]
        if abs(step).max() < 1e-10: break
    return a, b
def fit(method, p, y, lam=0):
    z = logit(p); L = p.shape[1]
    if method == 'none': return lambda q: q
    if method == 'temp':
        # a only, b=0: crude by grid
        best = min(np.linspace(0.3, 2, 341), key=lambda a: nll(sig(a*z), y)); return lambda q: sig(best*logit(q))
    A, B = platt(z.ravel(), y.ravel())
    if method == 'global': return lambda q: sig(A*logit(q)+B)
    ab = [platt(z[:, j], y[:, j], A, B, lam) for j in range(L)]
    a, b = np.array([x[0] for x in ab]), np.array([x[1] for x in ab])
    return lambda q: sig(a*logit(q)+b)
def cv(method, lam=0, k=5, seed=0):
    idx = np.random.default_rng(seed).permutation(len(P)); folds = np.array_split(idx, k)
    out = np.zeros_like(P)
    for f in folds:
        tr = np.setdiff1d(idx, f); out[f] = fit(method, P[tr], Y[tr], lam)(P[f])
    return out

def maxgap(p, y, bins=10, minn=100):
    return max(abs(pm-ym) for i,n,pm,ym in binrows(p,y,bins) if n>=minn)
def newton(X, y, w0, prior, lam, iters=60):
    w = w0.copy()
    for _ in range(iters):
        p = sig(X@w); r = p-y; W = p*(1-p)
        g = X.T@r + lam*(w-prior); H = (X*W[:,None]).T@X + lam*np.eye(len(w)) + 1e-9*np.eye(len(w))
        s = np.linalg.solve(H, g); w -= s
        if abs(s).max()<1e-10: break
    return w
def feats(p, kind):
    p = np.clip(p, 1e-7, 1-1e-7)
    if kind=='affine': return np.stack([logit(p), np.ones_like(p)], -1)
    if kind=='beta': return np.stack([np.log(p), -np.log1p(-p), np.ones_like(p)], -1)
    if kind=='cubic': z=logit(p); return np.stack([z, z*z/10, z**3/100, np.ones_like(p)], -1)
def fit2(kind, per_label, lam):
    def f(p, y):
        X = feats(p, kind); k = X.shape[-1]
        w0 = newton(X.reshape(-1,k), y.ravel(), np.eye(k)[0]*1.0 if kind!='beta' else np.array([1.,1.,0.]), np.zeros(k), 0.)
        if not per_label: return lambda q: sig(feats(q,kind).reshape(-1,k)@w0).reshape(q.shape)
        W = np.stack([newton(X[:,j], y[:,j], w0.copy(), w0, lam) for j in range(p.shape[1])])
        return lambda q: sig(np.einsum('njk,jk->nj', feats(q,kind), W))
    return f
def iso():
    from sklearn.isotonic import IsotonicRegression
    def f(p, y):
        m = IsotonicRegression(out_of_bounds='clip', y_min=1e-4, y_max=1-1e-4).fit(p.ravel(), y.ravel())
        return lambda q: m.predict(q.ravel()).reshape(q.shape)
    return f
def cv2(fitter, k=5, seed=0):
    idx = np.random.default_rng(seed).permutation(len(P)); out = np.zeros_like(P)
    for f in np.array_split(idx, k):
        tr = np.setdiff1d(idx, f); out[f] = fitter(P[tr], Y[tr])(P[f])
    return out
def mono(f):
    q = sig(np.linspace(-16, 16, 2001))[:, None].repeat(21, 1); o = f(P, Y)(q)
    return bool((np.diff(o, axis=0) >= -1e-12).all())
def two_stage(shape, lam):
    def f(p, y):
        g = fit2(shape, False, 0)(p, y); q = g(p)
        h = fit2('affine', True, lam)(q, y)
        return lambda r: h(g(r))
    return f
cands = {'label affine l100': fit2('affine',True,100), 'cubic+label affine l100': two_stage('cubic', 100), 'beta+label affine l100': two_stage('beta', 100),
         'cubic+label affine l300': two_stage('cubic', 300)}
for name, f in cands.items():
    r = np.array([[ece(o:=cv2(f, k=k, seed=s),Y), nll(o,Y), maxgap(o,Y)] for s in range(6) for k in (5, 10)])
    v = f(P, Y)(PV)
    print(f"{name:24s} devCV ECE {r[:,0].mean():.4f} NLL {r[:,1].mean():.4f} gap {r[:,2].mean():.3f} mono {mono(f)} | valid ECE {ece(v,YV):.4f} gap {maxgap(v,YV):.3f}")
