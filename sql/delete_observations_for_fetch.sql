-- Remove one (source, fetch_date) slice before it is loaded again. Parameters: $source, $fetch_date.
delete from raw.observations where source = $source and fetch_date = $fetch_date;
delete from raw.parse_issues where source = $source and fetch_date = $fetch_date;
