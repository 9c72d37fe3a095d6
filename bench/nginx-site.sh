# nginx-site.sh - sourced by the benchmarks that drive nginx (peers.sh,
# bpftime.sh): one site in DIR on 127.0.0.1:PORT -- 1 worker, no master,
# keep-alive without limit, no access log -- serving DIR/www/index.html,
# the ~816-character file of http.sh (827 bytes). nginx_site DIR PORT
# writes DIR/nginx.conf; run it as `nginx -c DIR/nginx.conf -p DIR`.
nginx_site() {
	local d=$1 port=$2
	mkdir -p "$d/www" "$d/ngtmp"   # nginx chowns its temp paths to its user: not $d
	head -c 612 /dev/urandom | base64 -w 76 > "$d/www/index.html"
	cat > "$d/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
error_log $d/nginx-error.log; pid $d/nginx.pid;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 10000000;
  client_body_temp_path $d/ngtmp; proxy_temp_path $d/ngtmp; fastcgi_temp_path $d/ngtmp;
  uwsgi_temp_path $d/ngtmp; scgi_temp_path $d/ngtmp;
  server { listen 127.0.0.1:$port; root $d/www; } }
CONF
}
