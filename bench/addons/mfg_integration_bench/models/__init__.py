from . import bench_route
