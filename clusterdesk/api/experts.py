from clusterdesk.experts.api import router  # noqa: F401  (the expert review API lives in its app)
