<?php
/**
 * Plugin Name: winnow for Akismet
 * Description: Sends the Akismet plugin's spam checks and reports to your winnow server instead of Akismet's, so that WordPress comments are judged by the site's own winnow classifier and teach it.
 * Version: 1.0.0
 * Requires PHP: 7.4
 *
 * Install: copy this file to wp-content/mu-plugins/ (a must-use plugin: always on),
 * keep the Akismet plugin installed and active, and add to wp-config.php:
 *
 *     define( 'WINNOW_AKISMET_URL', 'https://comments.example.org' ); // winnow's address
 *     define( 'WPCOM_API_KEY', '0123456789ab' ); // from `winnow site akismet-key --site SITE`
 *
 * The key goes in wp-config.php rather than Akismet's settings page because that page
 * checks a new key with Akismet's account service, which winnow does not imitate.
 * The site's address (Settings > General, "Site Address") must be one of the
 * winnow site's origins.
 *
 * How it works: the Akismet plugin sends every call through WordPress's HTTP API to
 * rest.akismet.com (older versions: KEY.rest.akismet.com). The pre_http_request
 * filter sees each request before it leaves; this one sends the four calls winnow
 * answers (verify-key, comment-check, submit-spam, submit-ham) to WINNOW_AKISMET_URL
 * with the same form, the key in the api_key field, and lets the answer through
 * unchanged. The plugin's account check (get-subscription) is answered here from
 * verify-key; its other calls (statistics, notices) fail with an error the plugin
 * shows as "unavailable". Nothing else is touched.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_filter( 'pre_http_request', 'winnow_akismet_pre_http_request', 10, 3 );

/**
 * Answers a request to Akismet's API from winnow.
 *
 * @param false|array|WP_Error $preempt Another filter's answer, or false.
 * @param array                $args    The request's arguments.
 * @param string               $url     The request's URL.
 * @return false|array|WP_Error False to let the request go, else its answer.
 */
function winnow_akismet_pre_http_request( $preempt, $args, $url ) {
	if ( false !== $preempt || ! defined( 'WINNOW_AKISMET_URL' ) || '' === WINNOW_AKISMET_URL ) {
		return $preempt;
	}
	$parts = wp_parse_url( $url );
	if ( ! is_array( $parts ) || empty( $parts['host'] ) || empty( $parts['path'] ) ) {
		return $preempt;
	}
	$host   = strtolower( $parts['host'] );
	$suffix = '.rest.akismet.com';
	$keyed  = strlen( $host ) > strlen( $suffix ) && substr( $host, -strlen( $suffix ) ) === $suffix;
	if ( 'rest.akismet.com' !== $host && ! $keyed ) {
		return $preempt;
	}
	if ( ! preg_match( '#^/1\.[0-9]+/([a-z-]+)$#', $parts['path'], $m ) ) {
		return $preempt;
	}
	$call = $m[1];

	$fields = array();
	$body   = isset( $args['body'] ) ? $args['body'] : '';
	if ( is_array( $body ) ) {
		$fields = $body;
	} else {
		parse_str( (string) $body, $fields );
	}
	if ( empty( $fields['api_key'] ) && ! empty( $fields['key'] ) ) {
		$fields['api_key'] = $fields['key'];
	}
	if ( empty( $fields['api_key'] ) && $keyed ) {
		// Older plugins put the key in the host's first label.
		$fields['api_key'] = substr( $host, 0, strpos( $host, '.' ) );
	}
	if ( empty( $fields['api_key'] ) && defined( 'WPCOM_API_KEY' ) ) {
		$fields['api_key'] = WPCOM_API_KEY;
	}

	// The plugin names Akismet's host in a Host header: winnow's address decides.
	if ( isset( $args['headers'] ) && is_array( $args['headers'] ) ) {
		foreach ( array_keys( $args['headers'] ) as $name ) {
			if ( 'host' === strtolower( $name ) ) {
				unset( $args['headers'][ $name ] );
			}
		}
	}
	$args['body']   = $fields;
	$args['method'] = 'POST';
	$base           = rtrim( WINNOW_AKISMET_URL, '/' ) . '/1.1/';

	switch ( $call ) {
		case 'verify-key':
		case 'comment-check':
		case 'submit-spam':
		case 'submit-ham':
			return wp_remote_request( $base . $call, $args );
		case 'get-subscription':
			// A winnow key has no subscription: a valid key is an active one.
			$answer = wp_remote_request( $base . 'verify-key', $args );
			if ( is_wp_error( $answer ) ) {
				return $answer;
			}
			$status = 'valid' === trim( wp_remote_retrieve_body( $answer ) ) ? 'active' : 'missing';
			return array(
				'headers'  => array( 'content-type' => 'application/json' ),
				'body'     => wp_json_encode( array( 'status' => $status ) ),
				'response' => array(
					'code'    => 200,
					'message' => 'OK',
				),
				'cookies'  => array(),
				'filename' => null,
			);
	}
	return new WP_Error( 'winnow_akismet', sprintf( 'winnow does not answer the Akismet call %s', $call ) );
}
