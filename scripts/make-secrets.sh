#!/bin/sh
# Writes the secrets docker-compose.yml reads, one file each under ./secrets/ (or $1), with fresh
# random passwords; an existing file is kept, so running it again changes nothing.
#   scripts/make-secrets.sh            single Redis
#   scripts/make-secrets.sh --scale    REDIS_URL through the Sentinels of the `scale` profile
set -eu
dir=secrets
scale=no
for a in "$@"; do
  case "$a" in
    --scale) scale=yes ;;
    *) dir="$a" ;;
  esac
done
mkdir -p "$dir"
chmod 700 "$dir"
rand() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
put() { # name value: written only when missing; readable by the containers' users (node, postgres, redis)
  if [ ! -s "$dir/$1" ]; then printf '%s' "$2" > "$dir/$1"; chmod 644 "$dir/$1"; echo "wrote $dir/$1"; fi
}
get() { cat "$dir/$1"; }

put postgres_password "$(rand)"
put fr_db_owner_password "$(rand)"
put fr_db_app_password "$(rand)"
put redis_password "$(rand)"
put database_admin_url "postgres://postgres:$(get postgres_password)@postgres:5432/postgres"
put database_owner_url "postgres://fr_owner:$(get fr_db_owner_password)@postgres:5432/feedback_router"
put database_url "postgres://fr_app:$(get fr_db_app_password)@postgres:5432/feedback_router"
if [ "$scale" = yes ]; then
  rm -f "$dir/redis_url"
  put redis_url "redis+sentinel://:$(get redis_password)@sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/fr"
else
  put redis_url "redis://:$(get redis_password)@redis:6379"
fi
put fr_admin_password "$(rand)"
put fr_jwt_secret "$(rand)$(rand)"
for channel in ihanoi hotline_1022 web_portal; do put "fr_key_$channel" "$(rand)"; done
put fr_privacy_key "$(rand)$(rand)"
put fr_phone_key_secret "$(rand)$(rand)"
put fr_metrics_token "$(rand)"
put grafana_admin_password "$(rand)"
